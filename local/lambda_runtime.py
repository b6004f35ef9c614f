"""Running the template's Lambda handlers in this process, the way the Lambda runtime would.

- Each function's handler module (functions/<name>/app.py) is imported from its CodeUri under a unique module
  name, on first invocation (a cold start), with the shared layer on sys.path (Lambda's /opt/python). A module
  that fails to import is retried on the next invocation, as Lambda re-runs a failed init.
- One invocation at a time, process-wide. Lambda runs one request per execution environment; here every
  function shares the interpreter and so the layer's module state (settings, the cached database connection),
  which makes the whole process one environment.
- The template's literal environment variables (Globals and the function's) are present during the
  function's init and invocations, unless the process environment already sets them, and removed afterwards
  so they do not leak into the rest of the process (tests).
- The timeout cannot be enforced on a thread; an invocation that overruns it is logged.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from local.function_loader import FunctionImportError, import_function
from local.sam_model import FunctionSpec

log = logging.getLogger("local.lambda")


@dataclass
class LambdaContext:
    """The attributes of the runtime's context object that Powertools and our handlers read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/[{self.function_version}]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class FunctionInitError(RuntimeError):
    """The handler module could not be imported (Lambda: Runtime.ImportModuleError / init failure)."""


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    # Explicit local settings win over the template's literals.
    added = [name for name in variables if name not in os.environ]
    os.environ.update({name: variables[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def forget_settings() -> None:
    settings = sys.modules.get("aurion.settings")
    if settings is not None:
        settings.get_settings.cache_clear()


def refresh_shared_state() -> None:
    """Forget what the layer cached from a previous environment (settings, database connection)."""
    forget_settings()
    db = sys.modules.get("aurion.db")
    if db is not None:
        db.reset_database()


class LambdaRuntime:
    def __init__(self, functions: dict[str, FunctionSpec], layer_paths: list[str]) -> None:
        self._functions = functions
        self._layer_paths = layer_paths
        self._handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
        self._lock = threading.Lock()
        self._last_invoked: str | None = None

    def _load(self, spec: FunctionSpec) -> Callable[[dict[str, Any], Any], Any]:
        for path in reversed(self._layer_paths):
            if path not in sys.path:
                sys.path.insert(0, path)
        try:
            module = import_function(spec.module_path, spec.logical_id)
        except FunctionImportError as exc:
            raise FunctionInitError(str(exc)) from exc
        except Exception as exc:
            raise FunctionInitError(f"{spec.logical_id}: init failed: {type(exc).__name__}: {exc}") from exc
        handler = getattr(module, spec.attribute, None)
        if not callable(handler):
            raise FunctionInitError(f"{spec.logical_id}: {spec.module_path} has no callable {spec.attribute}")
        return handler

    def warm(self) -> dict[str, str]:
        """Import every function now; returns {logical_id: error} for those that fail (they retry later)."""
        errors: dict[str, str] = {}
        with self._lock:
            for logical_id, spec in self._functions.items():
                if logical_id not in self._handlers:
                    try:
                        with _environment(spec.environment):
                            self._handlers[logical_id] = self._load(spec)
                    except FunctionInitError as exc:
                        errors[logical_id] = str(exc)
        return errors

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Run the function on event and return what the handler returned; its exceptions propagate."""
        spec = self._functions[logical_id]
        with self._lock, _environment(spec.environment):
            if logical_id != self._last_invoked:
                # The process holds every function's environment but one settings cache: the next function must
                # read its own variables, and those a dev loop set after the previous one started (a queue URL).
                forget_settings()
                self._last_invoked = logical_id
            handler = self._handlers.get(logical_id)
            if handler is None:
                handler = self._handlers[logical_id] = self._load(spec)
            context = LambdaContext(spec.logical_id, spec.memory_mb, spec.timeout_s)
            started = time.monotonic()
            try:
                return handler(event, context)
            finally:
                elapsed = time.monotonic() - started
                if elapsed > spec.timeout_s:
                    log.warning("%s ran %.1fs, past its %ss timeout: Lambda would have killed it",
                                logical_id, elapsed, spec.timeout_s)  # fmt: skip
