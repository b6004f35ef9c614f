"""template.yaml as CloudFormation receives it: transformed by samtranslator (local/sam_transform.py), which runs
in the SAM CLI's own virtualenv because its pydantic pin clashes with the runtime's (`make test` installs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SAM_PYTHON = ROOT / ".sam-venv" / "bin" / "python"
REGION = "eu-west-1"


@lru_cache(maxsize=8)
def _transformed(parameters_json: str) -> str:
    if not SAM_PYTHON.exists():
        raise RuntimeError(f"{SAM_PYTHON} is missing: `make test` installs the SAM CLI's virtualenv first")
    # -P and no PYTHONPATH: local/ (whose token.py would shadow the standard library's) and our packages stay
    # off that interpreter's path.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [str(SAM_PYTHON), "-P", str(ROOT / "local" / "sam_transform.py"), str(TEMPLATE), parameters_json],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise RuntimeError(f"the SAM transform failed: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def transformed(parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The transformed template (SAM resources expanded into CloudFormation ones); a fresh copy each call."""
    result: dict[str, Any] = json.loads(_transformed(json.dumps(parameters or {}, sort_keys=True)))
    return result
