"""What Lambda's SQS event source mapping does, for the dev stack: a daemon thread that polls one queue into a
function until stopped. Each loop (ingest, bulk import) says how it polls a batch and where it advertises its
resources for the `make` commands that send to them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Self

Invoke = Callable[[str, dict[str, Any]], Any]


def direct_invoke(folder: str, timeout_s: int) -> Invoke:
    """functions/<folder>/app.py's handler imported in this process (scripts and tests without the gateway's
    runtime), invoked one event at a time as one execution environment would."""
    from local.exports_loop import _Context
    from local.function_loader import import_function
    from local.paths import REPO_ROOT, ensure_layer_on_path

    ensure_layer_on_path()
    module = import_function(REPO_ROOT / "functions" / folder / "app.py", folder)
    lock = threading.Lock()

    def invoke(logical_id: str, event: dict[str, Any]) -> Any:
        with lock:
            return module.lambda_handler(event, _Context(logical_id, timeout_s))

    return invoke


class QueueLoop:
    """Subclasses set `resources` (with endpoint_url, region, queue_url) in __init__ and implement poll_once,
    advertise and withdraw."""

    thread_name = "local-queue-loop"
    resources: Any

    def __init__(self, *, wait_time_s: int) -> None:
        self._wait_time_s = wait_time_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.processed = 0

    @classmethod
    def start(cls, endpoint_url: str | None, **kwargs: Any) -> Self:
        loop = cls(endpoint_url, **kwargs)  # type: ignore[call-arg, arg-type]  # subclasses take the endpoint first
        loop._thread = threading.Thread(target=loop._run, name=cls.thread_name, daemon=True)
        loop._thread.start()
        loop.advertise()
        loop.log.info("%s: polling %s", cls.thread_name, loop.resources.queue_url)
        return loop

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.withdraw()

    @property
    def log(self) -> logging.Logger:
        return logging.getLogger(type(self).__module__)

    def _run(self) -> None:
        from local.ingest_loop import _client

        sqs = _client("sqs", self.resources.endpoint_url, self.resources.region)
        while not self._stop.is_set():
            try:
                self.poll_once(sqs)
            except Exception:
                self.log.exception("%s iteration failed", self.thread_name)
                self._stop.wait(2)

    def poll_once(self, sqs: Any | None = None) -> int:
        raise NotImplementedError

    def advertise(self) -> None:
        """Tell the `make` commands where this loop's resources are."""
        raise NotImplementedError

    def withdraw(self) -> None:
        raise NotImplementedError
