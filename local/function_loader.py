"""Importing a function's handler module the way a Lambda cold start does: fresh, under its own name."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

_counter = itertools.count(1)


class FunctionImportError(RuntimeError):
    pass


def import_function(module_path: Path, label: str) -> ModuleType:
    """A new module object for module_path (e.g. functions/x/app.py), named uniquely so imports never collide.

    Lambda puts the function's code directory first on the path during init, for sibling modules of app.py.
    """
    name = f"_lambda_{label}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, module_path)
    if spec is None or spec.loader is None:
        raise FunctionImportError(f"{label}: no handler module at {module_path}")
    module = importlib.util.module_from_spec(spec)
    code_dir = str(module_path.parent)
    sys.path.insert(0, code_dir)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        sys.path.remove(code_dir)
    return module
