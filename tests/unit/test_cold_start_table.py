"""The cold-start table of local/bench/cold_start.py: the target is import + first invocation, both measured."""

from __future__ import annotations

from local.bench.cold_start import TARGET_MS, TARGETS_MS, ColdStart, render_markdown


def test_the_target_counts_import_and_first_invocation_together():
    assert ColdStart("F", "events/f.json", import_ms=250.0, first_invocation_ms=TARGET_MS - 250.0).target_met
    assert not ColdStart("F", "events/f.json", import_ms=250.0, first_invocation_ms=TARGET_MS - 249.0).target_met


def test_a_function_that_was_not_invoked_does_not_meet_the_target():
    row = ColdStart("F", None, import_ms=10.0, first_invocation_ms=None)
    assert not row.target_met
    assert "| F | 10.0 | no sample event | 10.0 | 400 | **no** |" in render_markdown([row])


def test_the_table_has_one_row_per_function_with_its_numbers():
    rows = [ColdStart("AuthorizerFunction", "events/authorizer.json", 231.96, 0.42)]
    assert render_markdown(rows).splitlines() == [
        "| function | import ms | first invocation ms | total ms | target ms | met |",
        "| --- | ---: | ---: | ---: | ---: | :---: |",
        "| AuthorizerFunction | 232.0 | 0.4 | 232.4 | 400 | yes |",
    ]


def test_the_queue_consumers_nobody_waits_on_have_the_larger_target():
    # Given the export worker at 550 ms, and an API function at the same
    worker = ColdStart("ExportWorkerFunction", "events/export_worker.json", import_ms=300.0, first_invocation_ms=250.0)
    api = ColdStart("CallSearchFunction", "events/call_search.json", import_ms=300.0, first_invocation_ms=250.0)
    # Then the worker meets its 600 ms target and the API function misses its 400 ms one
    assert TARGETS_MS["ExportWorkerFunction"] == 600.0
    assert worker.target_met
    assert not api.target_met


def test_the_deploy_time_custom_resource_is_measured_by_its_import_only():
    row = ColdStart("MigrationsFunction", None, import_ms=120.0, first_invocation_ms=None)
    assert "| MigrationsFunction | 120.0 | deploy time (import only) | 120.0 | 400 | n/a |" in render_markdown([row])
