"""Cold starts stay cheap: importing a function's handler module loads no library it does not need at once.

fpdf2 (with Pillow) only when the worker writes a PDF file (openpyxl and lxml are no runtime dependency now);
boto3 only when an export touches S3 or SQS; redis only when a request is counted in Redis (a phone search, an
API key; `limits`, no longer used, must not come back); the X-Ray SDK only where tracing is on (in Lambda:
aurion.tracing). Each function is imported in a fresh interpreter, as a Lambda cold start does
(local/bench/cold_start.py times them).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from local.sam_model import load_api_model
from tests.support.database import REPO

LAZY = ("openpyxl", "lxml", "fpdf", "PIL", "boto3", "limits", "redis", "aws_xray_sdk", "phonenumbers")
FUNCTIONS = sorted(load_api_model(REPO / "template.yaml", REPO).functions.items())
_PROBE = """
import importlib, json, sys
from pathlib import Path
from local.function_loader import import_function
target = sys.argv[1]
import_function(Path(target), "probe") if target.endswith(".py") else importlib.import_module(target)
print(json.dumps(sorted(name for name in sys.argv[2:] if name in sys.modules)))
"""
_ENV = {
    "AURION_DB_URL": "postgresql://probe@127.0.0.1:1/probe",
    "AURION_SESSION_SECRET": "lazy-import-probe-" + "x" * 32,
    "AWS_DEFAULT_REGION": "eu-west-1",
    "PATH": "/usr/bin:/bin",
    "PYTHONPATH": f"{REPO / 'layers' / 'shared' / 'python'}:{REPO}",
}


def _loaded_at_import(target: str) -> list[str]:
    """Which of LAZY a fresh interpreter holds after importing target (a handler's path, or a module name)."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, target, *LAZY], cwd=REPO, env=_ENV, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(("logical_id", "spec"), FUNCTIONS, ids=[logical_id for logical_id, _ in FUNCTIONS])
def test_importing_the_handler_loads_no_heavy_library(logical_id, spec):
    # When the function's handler module is imported in a fresh interpreter (a cold start's init)
    loaded = _loaded_at_import(str(spec.module_path))
    # Then none of the libraries that only some requests need is loaded yet
    assert loaded == [], f"{logical_id} loads {loaded} at import"


def test_the_probe_sees_a_library_that_is_loaded():
    # The check itself can fail: the PDF writer's module does load fpdf2
    assert "fpdf" in _loaded_at_import("aurion.exports.writers.pdf")
