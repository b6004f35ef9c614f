"""Contacts: created shortly before their first conversation (or any time, for the silent ones).

Contact k is person k: its name, e-mail and phone come from the pg_temp.seed_* helpers, so calls from
caller k (the first `spec.callers` contacts) match a known contact's number.
"""

from __future__ import annotations

from local.seed.helpers import dim_id
from local.seed.spec import TenantSpec
from local.seed.sqlkit import Draws

BOUNCED_SHARE = 0.03
COMPLAINED_SHARE = 0.007

_d = Draws("contact")


def insert_contacts_sql(spec: TenantSpec) -> str:
    window = "(pg_temp.seed_end() - pg_temp.seed_start())"
    return f"""
INSERT INTO contacts (id, tenant_id, name, email, phone, email_bounced_at, email_complained_at, created_at)
SELECT {dim_id("contact", "n")}, pg_temp.seed_tenant(), pg_temp.seed_first(n) || ' ' || pg_temp.seed_last(n),
       CASE WHEN has_email THEN pg_temp.seed_email(n) END,
       CASE WHEN has_phone THEN pg_temp.seed_phone(n) END,
       -- Suppressions happen after the contact exists and before the end of the window.
       CASE WHEN has_email AND {_d.u("bounced")} < {BOUNCED_SHARE}
            THEN created_at + {_d.u("bounced_at")} * (pg_temp.seed_end() - created_at) END,
       CASE WHEN has_email AND {_d.u("complained")} < {COMPLAINED_SHARE}
            THEN created_at + {_d.u("complained_at")} * (pg_temp.seed_end() - created_at) END,
       created_at
FROM (
    SELECT n,
           CASE WHEN f.first_at IS NULL THEN pg_temp.seed_start() + {_d.u("silent_created")} * {window}
                ELSE greatest(pg_temp.seed_start(), f.first_at - {_d.u("lead")} * interval '2 days') END AS created_at,
           coalesce(f.writes_email, false) OR {_d.u("email")} < 0.8 AS has_email,
           -- Most callers (the first contacts) are known by their number; some call from one we lack.
           coalesce(f.uses_phone, false) OR {_d.u("phone")} < CASE WHEN n <= {spec.callers} THEN 0.85 ELSE 0.5 END
               AS has_phone
    FROM generate_series(1, {spec.contacts}) AS n
    LEFT JOIN (
        SELECT contact_n, min(created_at) AS first_at, bool_or(channel = 'email') AS writes_email,
               bool_or(channel IN ('voice', 'sms', 'whatsapp')) AS uses_phone
        FROM seed_conv GROUP BY contact_n
    ) f ON f.contact_n = n
    OFFSET 0
) c
"""
