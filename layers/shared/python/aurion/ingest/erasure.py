"""Erasure (right to be forgotten): what a contact or conversation erasure removes, and what keeps it removed.

Anonymise, not delete (docs/ingestion.md, "Erasure"): the rows stay with their personal columns emptied, so every
count, time and rate the metrics read stays computable, and exactly the same:
- contacts: name '' (the column is NOT NULL), email and phone NULL; the suppression times stay (counts);
- conversations: subject ''; topic (a label of the helpdesk's taxonomy), times, team and agent stay;
- csat_surveys: comment and followup_answer NULL; the rating stays;
- calls: phone_number '' (NOT NULL; its generated digits follow), transcript NULL; outcome, times stay.
A contact's erasure covers its conversations, their surveys and calls, its own surveys, and the calls from its phone
number; a conversation's erasure covers its surveys and calls.

Each erased row's id is kept in ingest_erasures (ids only), and the merge empties the same columns of any snapshot
of an erased row that arrives later, whatever its version: a replay, a late or a newer snapshot never restores them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aurion.db import Transaction

# The table an erasure event's data.id names (for the other-tenant check and the tombstone).
ERASED_KIND = {"contact.erasure.v1": "contacts", "conversation.erasure.v1": "conversations"}


@dataclass(frozen=True)
class Scrub:
    """How the merge writes a snapshot of an erased row: `erased` (SQL over the incoming row `incoming`) says
    whether it is, `emptied` what each personal column becomes then."""

    erased: str
    emptied: dict[str, str]


def _erased(table: str, contact: str | None, conversation: str | None) -> str:
    """The call of migration 0014's aurion_erased for a row of `table` (columns of `incoming`)."""
    refs = ", ".join(f"incoming.{column}" if column else "NULL" for column in (contact, conversation))
    return f"aurion_erased('{table}', incoming.id, {refs})"


SCRUBS: dict[str, Scrub] = {
    "contacts": Scrub(_erased("contacts", None, None), {"name": "''", "email": "NULL", "phone": "NULL"}),
    "conversations": Scrub(_erased("conversations", "contact_id", None), {"subject": "''"}),
    "csat_surveys": Scrub(
        _erased("csat_surveys", "contact_id", "conversation_id"), {"comment": "NULL", "followup_answer": "NULL"}
    ),
    "calls": Scrub(_erased("calls", None, "conversation_id"), {"phone_number": "''", "transcript": "NULL"}),
}

_ANY_ERASED = "EXISTS (SELECT FROM ingest_erasures WHERE tenant_id = CAST(:tenant_id AS uuid))"


def scrubbed_columns(table: str, names: list[str]) -> tuple[list[str], str]:
    """What a merge into `table` selects for `names` from its incoming rows (aliased `incoming`, with :tenant_id),
    and the join to add after `incoming`: the personal columns emptied when the row is erased. Every merge path
    (live, bulk) writes through this, so none restores erased data."""
    scrub = SCRUBS.get(table)
    if scrub is None:
        return list(names), ""
    selected = [f"CASE WHEN scrub.erased THEN {scrub.emptied[n]} ELSE {n} END" if n in scrub.emptied else n
                for n in names]  # fmt: skip
    # Once per row, however many columns it empties; and not at all while the tenant has erased nothing (the first
    # EXISTS is uncorrelated: evaluated once per statement, and AND stops at it).
    return selected, f"CROSS JOIN LATERAL (SELECT {_ANY_ERASED} AND {scrub.erased} AS erased) AS scrub"


_TENANT = "CAST(:tenant_id AS uuid)"

# The rows an erasure reaches (as of the erasure), tombstoned and emptied in one statement. The CTEs read one
# snapshot: `contact` sees the phone numbers before they are emptied.
_CONTACTS_SQL = f"""
WITH erased AS (SELECT CAST(value AS uuid) AS id FROM jsonb_array_elements_text(CAST(:ids AS jsonb))),
contact AS (SELECT c.id, c.phone FROM contacts AS c WHERE c.tenant_id = {_TENANT} AND c.id IN (SELECT id FROM erased)),
conv AS (SELECT v.id FROM conversations AS v
         WHERE v.tenant_id = {_TENANT} AND v.contact_id IN (SELECT id FROM erased)),
survey AS (SELECT s.id FROM csat_surveys AS s
           WHERE s.tenant_id = {_TENANT}
             AND (s.contact_id IN (SELECT id FROM erased) OR s.conversation_id IN (SELECT id FROM conv))),
call AS (SELECT k.id FROM calls AS k
         WHERE k.tenant_id = {_TENANT}
           AND (k.conversation_id IN (SELECT id FROM conv)
                OR k.phone_number IN (SELECT phone FROM contact WHERE phone IS NOT NULL))),
tombs AS (
    INSERT INTO ingest_erasures (tenant_id, kind, entity_id)
    SELECT {_TENANT}, 'contacts', id FROM erased
    UNION ALL SELECT {_TENANT}, 'conversations', id FROM conv
    UNION ALL SELECT {_TENANT}, 'csat_surveys', id FROM survey
    UNION ALL SELECT {_TENANT}, 'calls', id FROM call
    ON CONFLICT DO NOTHING
),
contacts_emptied AS (
    UPDATE contacts SET name = '', email = NULL, phone = NULL
    WHERE tenant_id = {_TENANT} AND id IN (SELECT id FROM contact)
),
conversations_emptied AS (
    UPDATE conversations SET subject = '' WHERE tenant_id = {_TENANT} AND id IN (SELECT id FROM conv)
),
surveys_emptied AS (
    UPDATE csat_surveys SET comment = NULL, followup_answer = NULL
    WHERE tenant_id = {_TENANT} AND id IN (SELECT id FROM survey)
),
calls_emptied AS (
    UPDATE calls SET phone_number = '', transcript = NULL WHERE tenant_id = {_TENANT} AND id IN (SELECT id FROM call)
)
SELECT count(*) FROM erased
"""

_CONVERSATIONS_SQL = f"""
WITH erased AS (SELECT CAST(value AS uuid) AS id FROM jsonb_array_elements_text(CAST(:ids AS jsonb))),
survey AS (SELECT s.id FROM csat_surveys AS s
           WHERE s.tenant_id = {_TENANT} AND s.conversation_id IN (SELECT id FROM erased)),
call AS (SELECT k.id FROM calls AS k WHERE k.tenant_id = {_TENANT} AND k.conversation_id IN (SELECT id FROM erased)),
tombs AS (
    INSERT INTO ingest_erasures (tenant_id, kind, entity_id)
    SELECT {_TENANT}, 'conversations', id FROM erased
    UNION ALL SELECT {_TENANT}, 'csat_surveys', id FROM survey
    UNION ALL SELECT {_TENANT}, 'calls', id FROM call
    ON CONFLICT DO NOTHING
),
conversations_emptied AS (
    UPDATE conversations SET subject = '' WHERE tenant_id = {_TENANT} AND id IN (SELECT id FROM erased)
),
surveys_emptied AS (
    UPDATE csat_surveys SET comment = NULL, followup_answer = NULL
    WHERE tenant_id = {_TENANT} AND id IN (SELECT id FROM survey)
),
calls_emptied AS (
    UPDATE calls SET phone_number = '', transcript = NULL WHERE tenant_id = {_TENANT} AND id IN (SELECT id FROM call)
)
SELECT count(*) FROM erased
"""

_SQL = {"contact.erasure.v1": _CONTACTS_SQL, "conversation.erasure.v1": _CONVERSATIONS_SQL}


def erase(tx: Transaction, tenant_id: str, ids_by_type: dict[str, list[str]]) -> int:
    """Apply the erasures (ids per erasure type) inside the ingest transaction; returns how many. Idempotent: an
    erasure applied again finds its tombstones and empty columns."""
    erased = 0
    # Contacts first: a conversation erasure in the same batch then finds its rows already emptied, as it would.
    for type_ in ("contact.erasure.v1", "conversation.erasure.v1"):
        ids = sorted(set(ids_by_type.get(type_, [])))
        if ids:
            erased += int(tx.value(_SQL[type_], tenant_id=tenant_id, ids=json.dumps(ids)))
    return erased


# Conversations of the batch that belong to an erased contact but are not tombstoned themselves: they arrived
# after the contact's erasure, possibly after their own surveys and calls (events come in any order), which the
# merge could not tie to the contact then. Erasing them as conversations reaches those too.
_LATE_SQL = f"""
SELECT v.id::text AS id FROM conversations AS v
WHERE EXISTS (SELECT FROM ingest_erasures WHERE tenant_id = {_TENANT})
  AND v.tenant_id = {_TENANT}
  AND v.id IN (SELECT CAST(value AS uuid) FROM jsonb_array_elements_text(CAST(:ids AS jsonb)))
  AND EXISTS (SELECT FROM ingest_erasures AS e
              WHERE e.tenant_id = {_TENANT} AND e.kind = 'contacts' AND e.entity_id = v.contact_id)
  AND NOT EXISTS (SELECT FROM ingest_erasures AS e
                  WHERE e.tenant_id = {_TENANT} AND e.kind = 'conversations' AND e.entity_id = v.id)
"""


def erase_late_arrivals(tx: Transaction, tenant_id: str, conversation_ids: list[str]) -> None:
    """After a batch's snapshots: erase its conversations that belong to an erased contact (see _LATE_SQL)."""
    if not conversation_ids:
        return
    rows = tx.all(_LATE_SQL, tenant_id=tenant_id, ids=json.dumps(sorted(set(conversation_ids))))
    if rows:
        erase(tx, tenant_id, {"conversation.erasure.v1": [row["id"] for row in rows]})
