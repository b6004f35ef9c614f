"""Import status through the API: GET /api/v1/analytics/imports and /imports/{import_id} (admin roles only)."""

from __future__ import annotations

import io
import json
import uuid

from aurion.db import Database
from aurion.ingest.bulk import ImportFile, load_file
from aurion.ingest.bulk_lines import lines
from tests.support.api import caller_for, get
from tests.support.ingest_events import HelpdeskEvents

V1 = "/api/v1/analytics"


def load(app_env, tenant: str, file_name: str, body: bytes, import_id: str) -> None:
    db = Database(app_env.database.app_url, statement_timeout_ms=10_000, connect_timeout_s=3)
    try:
        load_file(db, ImportFile(str(tenant), import_id, file_name, "etag"), lines(io.BytesIO(body)))
    finally:
        db.close()


def test_an_admin_reads_an_imports_counts_and_its_first_rejects_with_line_numbers(app_env, functions, build):
    # Given an import of two files of a tenant: one clean (2 teams), one whose line 2 is not JSON and line 3 an
    # email without its @ (3 lines read, 1 applied)
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    import_id = str(uuid.uuid4())
    clean = "\n".join(json.dumps(events.team()) for _ in range(2)).encode()
    contact = events.contact(email="carla.example.org")
    dirty = b"\n".join([json.dumps(events.team()).encode(), b"{oops", json.dumps(contact).encode()])
    load(app_env, tenant, "a-teams.ndjson", clean, import_id)
    load(app_env, tenant, "b-contacts.ndjson", dirty, import_id)
    api = functions("exports")
    # When its tenant admin lists the imports, then reads this one
    listing = get(api, f"{V1}/imports", caller_for(tenant, "tenant_admin"))
    detail = get(api, f"{V1}/imports/{import_id}", caller_for(tenant, "tenant_admin"))
    # Then the listing sums the files, and the detail adds each file and the rejects, by file and line
    assert listing.status == 200
    (summary,) = listing.body["imports"]
    assert {k: summary[k] for k in ("import_id", "status", "files", "rows_read", "rows_applied", "rows_rejected")} == {
        "import_id": import_id, "status": "completed_with_rejects", "files": 2, "rows_read": 5, "rows_applied": 3,
        "rows_rejected": 2,
    }  # fmt: skip
    assert detail.status == 200
    assert [(f["file_name"], f["status"], f["rows_read"], f["rows_applied"]) for f in detail.body["file_statuses"]] == [
        ("a-teams.ndjson", "completed", 2, 2),
        ("b-contacts.ndjson", "completed", 3, 1),
    ]
    rejects = detail.body["rejects"]
    assert [(r["file_name"], r["line"]) for r in rejects] == [("b-contacts.ndjson", 2), ("b-contacts.ndjson", 3)]
    assert rejects[0]["reason"] == "not a JSON line"
    assert rejects[1]["reason"].startswith("data.email: String should match pattern")
    # And no answer quotes a rejected line
    assert "carla" not in json.dumps(detail.body)


def test_another_tenants_import_is_not_found_and_a_non_admin_is_refused(app_env, functions, build):
    # Given an import of tenant A
    tenant_a, tenant_b = build.tenant(), build.tenant()
    import_id = str(uuid.uuid4())
    load(app_env, tenant_a, "teams.ndjson", json.dumps(HelpdeskEvents(tenant_a).team()).encode(), import_id)
    api = functions("exports")
    # When tenant B's admin asks for it, and A's agent asks for A's imports
    foreign = get(api, f"{V1}/imports/{import_id}", caller_for(tenant_b, "tenant_admin"))
    listing_b = get(api, f"{V1}/imports", caller_for(tenant_b, "super_admin"))
    agent = get(api, f"{V1}/imports", caller_for(tenant_a, "agent"))
    # Then B gets a 404 and an empty listing, the agent a 403; a malformed id is a 404 too
    assert foreign.status == 404
    assert listing_b.body == {"imports": []}
    assert agent.status == 403
    assert get(api, f"{V1}/imports/not-a-uuid", caller_for(tenant_a, "tenant_admin")).status == 404
