"""The package's imports point down: every unit of `aurion` has a layer, imports only from layers below its own, and
no chain of imports (a lazy one inside a function or one under TYPE_CHECKING included) comes back to where it began.

A unit is a top-level module (`aurion/db.py`) or package (`aurion/metrics/`). Modules of one package may import each
other, but not in a cycle. Dodging a cycle with an import inside a function still counts as the cycle it is.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "layers" / "shared" / "python"

# Top to bottom; a unit imports only from the layers after its own.
LAYERS: tuple[tuple[str, ...], ...] = (
    # The deployment's custom resource: the migrations, run with the secrets CloudFormation names.
    ("deploy_migrations",),
    # What the functions' handlers, the aggregator's schedule and the CLIs start from.
    ("authorizer", "exports", "ingest", "migrate"),
    # The routes' domain logic: one function per route, reading the database through access.
    ("api_keys", "metrics"),
    # Rollup tables kept by the aggregator and read by the metrics.
    ("rollups",),
    # One definition per metric fact, shared by the rollups, the metrics and the exports.
    ("facts",),
    # Request plumbing: the resolver, the tenant transaction and plan gate, the audit log, the phone search's
    # budget, the response models.
    ("http", "responses", "access", "audit", "search_budget", "models"),
    ("voice_params",),
    ("params",),
    # Who is calling: tokens, roles, the caller, the per-key quota.
    ("auth",),
    ("ratelimit", "clock"),
    ("db",),
    ("settings", "pg_errors"),
    # The service logger: its scrubber ends with the redaction rules.
    ("logs",),
    # Leaves: they import nothing of ours.
    (
        "db_copy_out",
        "db_socket",
        "db_url",
        "date_bounds",
        "errors",
        "json_body",
        "redaction",
        "request_validation",
        "timefmt",
        "tracing",
    ),
)


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_imports(root: Path, package: str = "aurion") -> tuple[set[str], list[Import]]:
    """Every module of `package` under root, and every import of one of them by another (at any depth of the code)."""
    files = {_module_name(root, path): path for path in sorted((root / package).rglob("*.py"))}
    imports = []
    for module, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
                # `from aurion import clock` imports the module aurion.clock; `from aurion.db import get_database`
                # imports aurion.db.
                targets = [
                    f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in files else node.module
                    for alias in node.names
                ]
            for target in targets:
                if target in files and target != module:
                    imports.append(Import(module, target, node.lineno))
    return set(files), imports


def _unit(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def upward_imports(imports: list[Import], layers: tuple[tuple[str, ...], ...]) -> list[str]:
    depth = {unit: index for index, layer in enumerate(layers) for unit in layer}
    found = []
    for found_import in imports:
        source, target = _unit(found_import.importer), _unit(found_import.imported)
        if source == target or "" in (source, target) or source not in depth or target not in depth:
            continue  # within one unit, or a unit the declaration test reports as undeclared
        if depth[target] <= depth[source]:
            where = "the same layer" if depth[target] == depth[source] else "a higher layer"
            found.append(f"{found_import.importer}:{found_import.line} imports {found_import.imported} ({where})")
    return sorted(set(found))


def import_cycles(modules: set[str], imports: list[Import]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    edges: dict[str, set[str]] = {module: set() for module in modules}
    for found_import in imports:
        edges[found_import.importer].add(found_import.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(edges[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return sorted(cycles)


def test_every_unit_of_the_package_has_exactly_one_layer():
    # Given the package's modules
    modules, _ = package_imports(PACKAGE_ROOT)
    units = {_unit(module) for module in modules} - {""}
    declared = [unit for layer in LAYERS for unit in layer]
    # Then each top-level module and package is declared once (a new one must say where it belongs). A declared
    # name without a module is allowed: work in parallel may declare a module before it lands.
    assert sorted(units - set(declared)) == [], "declare these in LAYERS"
    assert len(declared) == len(set(declared))


def test_no_import_points_up_or_sideways():
    # Given every import between the package's modules, lazy ones included
    _, imports = package_imports(PACKAGE_ROOT)
    # Then each one goes from a unit to a unit of a lower layer
    assert upward_imports(imports, LAYERS) == []


def test_no_import_cycle_between_modules():
    # Given every import between the package's modules, lazy ones included
    modules, imports = package_imports(PACKAGE_ROOT)
    # Then no module reaches itself again through them
    assert import_cycles(modules, imports) == []


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checks_see_a_cycle_dodged_with_a_lazy_import_and_an_upward_import(tmp_path):
    # Given a package whose settings import db while db imports settings inside a function (as in issue 16), and
    # whose http imports a feature package above it
    _write(
        tmp_path,
        {
            "aurion/__init__.py": "",
            "aurion/settings.py": "from aurion.db import check_database_url\n",
            "aurion/db.py": "def get_database():\n    from aurion.settings import get_settings\n",
            "aurion/http.py": "from aurion import api_keys\n",
            "aurion/api_keys/__init__.py": "",
        },
    )
    modules, imports = package_imports(tmp_path)
    layers = (("api_keys",), ("http",), ("db",), ("settings",))
    # When the checks run on it
    cycles = import_cycles(modules, imports)
    upward = upward_imports(imports, layers)
    # Then both faults are reported, with where they are
    assert cycles == [["aurion.db", "aurion.settings"]]
    assert upward == [
        "aurion.http:1 imports aurion.api_keys (a higher layer)",
        "aurion.settings:1 imports aurion.db (a higher layer)",
    ]
