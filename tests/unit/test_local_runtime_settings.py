"""The local runtime runs every function in one process with one settings cache: switching function must not
hand the next one the previous function's settings (make run's rollup dispatcher once saw no queue URL because
the bulk loader had cached its settings before the dev loop created the queue)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aurion.settings import get_settings
from local.lambda_runtime import LambdaRuntime
from local.sam_model import FunctionSpec

HANDLER = """
from aurion.settings import get_settings


def lambda_handler(event, context):
    return get_settings().aggregator_queue_url
"""


def _function(root: Path, name: str) -> FunctionSpec:
    code = root / name
    code.mkdir()
    (code / "app.py").write_text(HANDLER, encoding="utf-8")
    return FunctionSpec(
        logical_id=name, code_dir=code, handler="app.lambda_handler", timeout_s=3, memory_mb=128, environment={}
    )


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AURION_DB_URL", "postgresql://probe@127.0.0.1:1/probe")
    monkeypatch.setenv("AURION_SESSION_SECRET", "s" * 32)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_function_invoked_after_another_reads_the_settings_of_now_not_the_ones_cached_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a loader that ran (and cached its settings) before the dev loop created the rollup queue
    monkeypatch.delenv("AGGREGATOR_QUEUE_URL", raising=False)
    runtime = LambdaRuntime({name: _function(tmp_path, name) for name in ("Loader", "Dispatcher")}, [])
    assert runtime.invoke("Loader", {}) is None

    # When the queue exists and the dispatcher runs next
    monkeypatch.setenv("AGGREGATOR_QUEUE_URL", "http://127.0.0.1:1/queue/rollups")
    seen = runtime.invoke("Dispatcher", {})

    # Then it sees the queue
    assert seen == "http://127.0.0.1:1/queue/rollups"
