"""Where things are in the repository, and making the shared layer importable like Lambda does (/opt/python)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_LAYER = REPO_ROOT / "layers" / "shared" / "python"
LOCAL_DIR = REPO_ROOT / ".local"
TEMPLATE = REPO_ROOT / "template.yaml"


def ensure_layer_on_path(layer: Path = SHARED_LAYER) -> None:
    # `python -m local.x` from the repo root does not see the layer unless PYTHONPATH says so.
    if str(layer) not in sys.path:
        sys.path.insert(0, str(layer))
