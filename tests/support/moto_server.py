"""A moto server of the test's own on a free port, which the process's AWS clients talk to while it runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer


@contextmanager
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Its endpoint, also set as AWS_ENDPOINT_URL (with moto's test credentials) until the test's end."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.setenv(name, "testing")
        yield endpoint
    finally:
        server.stop()


@contextmanager
def import_moto_server(monkeypatch: pytest.MonkeyPatch, state_dir: Path) -> Iterator[str]:
    """moto_server for the bulk path's tests: the import loop's state file in state_dir (never the checkout's
    .local/imports.json, which a `make run` of this checkout may be using), settings and S3/SQS clients fresh."""
    from aurion.ingest.bulk_queue import reset_clients
    from aurion.settings import get_settings
    from local import import_loop

    monkeypatch.setattr(import_loop, "STATE_FILE", state_dir / "imports.json")
    with moto_server(monkeypatch) as endpoint:
        get_settings.cache_clear()
        reset_clients()
        yield endpoint
        reset_clients()
        get_settings.cache_clear()
