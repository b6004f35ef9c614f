"""docs/benchmarks.md's bulk import section as `make bench` renders it."""

from __future__ import annotations

from local.bench.report import BULK_TARGET_CONVERSATIONS_PER_S, bulk_lines

BULK = {
    "tenant_conversations": 1_000_000, "conversations": 100_000, "lines": 540_003, "file_bytes": 300_270_956,
    "loader": {"seconds": 20.0, "rows_applied": 390_053, "rows_rejected": 0, "conversations_per_s": 5_000,
               "lines_per_s": 27_000},
    "bare_copy": {"seconds": 3.0, "conversations_per_s": 33_333}, "ratio_to_copy": 0.15, "tables_analyzed": 5,
    "tables_copy": {"seconds": 6.0, "conversations_per_s": 16_667, "ratio_to_copy": 0.5},
}  # fmt: skip


def test_the_bulk_section_states_its_targets_with_every_placeholder_filled():
    # Given a bulk run's figures, When its section is rendered
    text = "\n".join(bulk_lines(BULK))
    # Then the targets are written out, and nothing is left of the template's braces
    assert f"Targets: ≥ {BULK_TARGET_CONVERSATIONS_PER_S:,} conversations/s" in text
    assert "{" not in text
    assert "}" not in text
    assert "  " not in next(line for line in text.split("\n") if line.startswith("A history file"))
