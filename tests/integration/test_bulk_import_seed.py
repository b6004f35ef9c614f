"""The generator's tenants through the bulk path (local/seed/import_files.py): `make seed` and the demo tenants
of `make run` write the generator's rows as an import file and let the loader apply it.

Runs as the owner of the session's test database (the generator needs a superuser); tenants are created under
slugs starting with "bulk-seed" and deleted at the end.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pg8000.native
import pytest

from aurion.db import connect_params
from aurion.ingest.entities import ENTITIES
from local.import_loop import ImportLoop
from local.seed import TenantSpec, delete_tenant, seed_tenant
from local.seed.__main__ import seed_through_import
from local.seed.demo import load_demo_imports
from local.seed.import_files import load_in_process, write_import_file
from tests.support.moto_server import import_moto_server

END = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SPEC = TenantSpec(slug="bulk-seed", conversations=400, calls=120, days=20, seed=5, end=END, replace=True)


@pytest.fixture
def admin_url(database) -> Iterator[str]:
    yield database.admin_url
    conn = pg8000.native.Connection(**connect_params(database.admin_url))
    slugs = [row[0] for row in conn.run("SELECT slug FROM tenants WHERE slug LIKE 'bulk-seed%'")]
    conn.close()
    for slug in slugs:
        delete_tenant(database.admin_url, slug)


def contract_rows(admin_url: str, spec: TenantSpec) -> dict[str, list[str]]:
    """Every row of the tenant as the contract sees it (its snapshot's fields, the helpdesk's id but not a number
    the table gives its rows itself), sorted: what must not depend on how the rows got in."""
    conn = pg8000.native.Connection(**connect_params(admin_url))
    try:
        rows = {}
        for entity in ENTITIES:
            columns = [name for name, _ in entity.columns]
            if not entity.keyed_by_source_id:
                columns.insert(0, "id")
            where = "id" if entity.table == "tenants" else "tenant_id"
            fields = ", ".join(f"'{c}', t.{c}" for c in columns)
            rows[entity.table] = [
                row[0]
                for row in conn.run(
                    f"SELECT json_build_object({fields})::text AS r FROM {entity.table} AS t "
                    f"WHERE t.{where} = CAST(:t AS uuid) ORDER BY r",
                    t=str(spec.tenant_id),
                )
            ]
        return rows
    finally:
        conn.close()


def test_a_tenant_seeded_through_its_import_file_holds_exactly_the_generators_rows(admin_url, tmp_path, monkeypatch):
    # Given the tenant written by the generator directly
    seed_tenant(admin_url, SPEC)
    direct = contract_rows(admin_url, SPEC)
    # When it is seeded again through the bulk path (as make seed does without a running stack)
    monkeypatch.setattr("local.paths.LOCAL_DIR", tmp_path)
    counts = seed_through_import(admin_url, SPEC, "loader")
    # Then every row of every table is the same, field for field, and nothing was rejected on the way
    through_import = contract_rows(admin_url, SPEC)
    assert {table: len(rows) for table, rows in through_import.items()} == counts
    assert counts["conversations"] == 400
    assert min(counts["calls"], counts["email_messages"], counts["csat_surveys"]) > 0
    for table, rows in direct.items():
        assert (table, through_import[table]) == (table, rows)


def test_the_same_spec_writes_the_same_file_and_a_second_load_changes_nothing(admin_url, tmp_path):
    # Given the import file of a tenant, written twice (the second time after deleting the tenant again)
    spec = replace(SPEC, slug="bulk-seed-same")
    first = write_import_file(admin_url, spec, tmp_path / "one")
    delete_tenant(admin_url, spec.slug)
    second = write_import_file(admin_url, spec, tmp_path / "two")
    same_bytes = first.path.read_bytes() == second.path.read_bytes()
    # When it is loaded, then loaded again under another import (the same rows arriving twice)
    loaded = load_in_process(admin_url, first)
    again = load_in_process(admin_url, replace(second, path=_renamed(second.path, "again.ndjson.gz")))
    # Then both files are the same bytes (an upload again resumes its import: same ETag), every line of the first
    # load is applied and none of the second
    assert same_bytes
    text = gzip.decompress(first.path.read_bytes()).splitlines()
    lines = len(text)
    assert json.loads(text[0])["type"] == "team.v1"
    assert (loaded["status"], loaded["rows_read"], loaded["rows_applied"], loaded["rows_rejected"]) == (
        "completed",
        lines,
        lines,
        0,
    )
    assert (again["rows_read"], again["rows_applied"]) == (lines, 0)


def _renamed(path: Path, name: str) -> Path:
    target = path.with_name(name)
    path.rename(target)
    return target


@pytest.fixture
def moto_endpoint(app_env, monkeypatch, tmp_path) -> Iterator[str]:
    with import_moto_server(monkeypatch, tmp_path) as endpoint:
        yield endpoint


def test_a_demo_tenant_is_uploaded_to_the_bucket_and_applied_by_the_stacks_loop(admin_url, moto_endpoint, tmp_path):
    # Given a demo tenant's import file and the stack's import bucket with its loop running
    spec = replace(SPEC, slug="bulk-seed-demo", conversations=150, calls=0, products=("helpdesk",))
    pending = [write_import_file(admin_url, spec, tmp_path)]
    loop = ImportLoop.start(moto_endpoint, wait_time_s=0)
    try:
        # When make run loads it
        done = load_demo_imports(admin_url, pending, loop.resources)
    finally:
        loop.stop()
    # Then the loop's loader applied the whole file, through the bucket's notification
    conn = pg8000.native.Connection(**connect_params(admin_url))
    try:
        conversations = conn.run(
            "SELECT count(*) FROM conversations WHERE tenant_id = CAST(:t AS uuid)", t=str(spec.tenant_id)
        )[0][0]
    finally:
        conn.close()
    assert conversations == 150
    assert done[0].startswith("bulk-seed-demo completed (")
    assert loop.processed >= 1


def test_the_demo_tenants_are_written_once_and_an_unfinished_import_is_taken_up_again(admin_url, tmp_path, monkeypatch):
    # Given a demo tenant list of one small tenant (the real ones take a minute)
    from local.seed import demo

    spec = replace(SPEC, slug="bulk-seed-restart", conversations=60, calls=0, products=("helpdesk",))
    monkeypatch.setattr(demo, "demo_specs", lambda end: [spec])
    # When the stack starts for the first time: the tenant is provisioned and its file written
    first = demo.prepare_demo_imports(admin_url, end=END, directory=tmp_path)
    # And is stopped before the file was loaded, then started again
    again = demo.prepare_demo_imports(admin_url, end=END, directory=tmp_path)
    # Then the second start takes up the same file (the same import), not a new tenant
    assert [p.spec.slug for p in first] == ["bulk-seed-restart"]
    assert [(p.path, p.import_id) for p in again] == [(first[0].path, first[0].import_id)]
    # And once it is loaded, a start hands the same file again, which the loader recognises and applies nothing of
    loaded = load_in_process(admin_url, again[0])
    third = demo.prepare_demo_imports(admin_url, end=END, directory=tmp_path)
    assert [(p.path, p.import_id) for p in third] == [(first[0].path, first[0].import_id)]
    assert load_in_process(admin_url, third[0]) == loaded
    assert loaded["status"] == "completed"
    # And a tenant of that slug made otherwise (make seed, another seed) is left alone, its file not loaded into it
    delete_tenant(admin_url, spec.slug)
    seed_tenant(admin_url, replace(spec, seed=99))
    assert demo.prepare_demo_imports(admin_url, end=END, directory=tmp_path) == []
