"""The dependency direction of DESIGN.md, enforced by walking every import with `ast`.

    surfaces (api, web, cli)  ->  capabilities  ->  foundation

Foundation modules never import capabilities or surfaces; capabilities never import surfaces, and
use another capability only through its `services` module, along the chains DESIGN.md allows.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dignity"

FOUNDATION = {"settings", "exc", "store", "security", "audit", "vocab", "__init__"}
SURFACES = {"api", "web", "cli"}
# Which capability may use which other capability (through its services module only).
CAPABILITY_USES: dict[str, set[str]] = {
    "sources": set(),
    "registry": {"sources"},
    "screening": {"registry"},
    "documentation": {"consent"},
    "evidence": {"documentation", "consent"},
    "consent": set(),
    "risk": set(),
    "dossiers": {"registry", "screening", "documentation", "evidence", "consent"},
    "vetting": {"registry", "screening", "documentation"},
    "assistance": {"consent"},
    "reports": {"registry", "screening", "documentation", "evidence", "consent", "risk"},
}
WEB_FRAMEWORKS = {"fastapi", "starlette", "typer", "click", "uvicorn"}


def _top(module_path: Path) -> str:
    relative = module_path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


# Alembic's environment loads every capability's models to compare them with the migrations: it
# describes the whole schema, so it alone may import across layers.
EXEMPT = {PACKAGE / "store" / "migrations" / "env.py"}
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if path not in EXEMPT)


def _violations(path: Path, layer: str) -> list[str]:
    problems = []
    for name in _imports(path):
        root = name.split(".")[0]
        if layer not in SURFACES and root in WEB_FRAMEWORKS:
            problems.append(f"{name} (web and CLI frameworks belong to the surfaces)")
        if root != "dignity" or name.count(".") == 0:
            continue
        target = name.split(".")[1]
        if target == layer or target in FOUNDATION:
            continue
        if layer in SURFACES:
            continue
        if layer in FOUNDATION:
            problems.append(f"{name} (the foundation must not import {target})")
        elif target in SURFACES:
            problems.append(f"{name} (a capability must not import a surface)")
        elif target not in CAPABILITY_USES.get(layer, set()):
            problems.append(f"{name} ({layer} may not use {target})")
        elif not name.startswith(f"dignity.{target}.services"):
            problems.append(f"{name} (use {target} through dignity.{target}.services)")
    return problems


def test_every_top_level_package_has_a_layer() -> None:
    tops = {_top(path) for path in MODULES}
    unknown = tops - FOUNDATION - SURFACES - set(CAPABILITY_USES)
    assert unknown == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_dependency_direction(path: Path) -> None:
    assert _violations(path, _top(path)) == []


@pytest.mark.parametrize(
    ("layer", "source", "expected"),
    [
        ("store", "from dignity.api.app import create_app", 2),
        ("store", "import fastapi", 1),
        ("audit", "from dignity.screening import services", 2),
        ("registry", "from dignity.screening.services import screen", 2),
        ("registry", "from dignity.sources.models import ListFile", 2),
        ("registry", "from dignity.sources.services import import_list", 0),
        ("registry", "from dignity.store import Base", 0),
        ("api", "from dignity.screening.models import Result", 0),
    ],
)
def test_the_checker_catches_wrong_directions(
    tmp_path: Path, layer: str, source: str, expected: int
) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(source + "\n")
    assert len(_violations(probe, layer)) == expected


def test_foundation_modules_stay_small() -> None:
    too_long = {
        str(path.relative_to(PACKAGE)): n
        for path in MODULES
        if _top(path) in FOUNDATION and (n := len(path.read_text().splitlines())) > 500
    }
    assert too_long == {}
