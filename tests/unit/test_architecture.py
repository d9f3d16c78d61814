"""The shape DESIGN.md §1 and §7 ask for, checked from the source: services never import each other, and the
shared library has no import circle (any import counts, also one inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shared.config import PROJECT_ROOT

SERVICES = ("gateway", "inventory", "pos", "suppliers")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute names (``from x import y`` counts as ``x`` and ``x.y``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service):
    others = tuple(f"services.{other}" for other in SERVICES if other != service)
    imports = {
        (path.relative_to(PROJECT_ROOT), name)
        for path in (PROJECT_ROOT / "services" / service).rglob("*.py")
        for name in imported_modules(path)
    }
    assert any(name.startswith(("shared.", f"services.{service}.")) for _, name in imports)  # the scan reads imports
    assert {f"{path} imports {name}" for path, name in imports if name.startswith(others)} == set()


def test_shared_imports_no_service_and_has_no_import_circle():
    modules = {module_name(path): path for path in (PROJECT_ROOT / "shared").rglob("*.py")}
    graph = {
        name: {imported for imported in imported_modules(path) if imported in modules and imported != name}
        for name, path in modules.items()
    }
    assert not any(imported.startswith("services") for path in modules.values() for imported in imported_modules(path))

    def circle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for following in graph[node]:
                if following == start:
                    return [*trail, start]
                if following not in trail:
                    stack.append((following, [*trail, following]))
        return None

    circles = {" -> ".join(circle) for name in graph if (circle := circle_from(name))}
    assert circles == set()
