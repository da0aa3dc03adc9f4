"""The package layering STYLE.md asks for: `shared/` serves the services and never reaches into one."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_nothing_in_shared_imports_a_service() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in _imports(path) if name.split(".")[0] == "services")
        for path in sorted((ROOT / "shared").rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_no_service_imports_another_service() -> None:
    services = [p.name for p in (ROOT / "services").iterdir() if (p / "main.py").exists()]
    assert sorted(services) == ["notify", "registry", "scheduler"]
    crossing = {}
    for service in services:
        for path in sorted((ROOT / "services" / service).rglob("*.py")):
            others = sorted(
                name for name in _imports(path) if name.startswith("services.") and name.split(".")[1] not in (service,)
            )
            if others:
                crossing[str(path.relative_to(ROOT))] = others
    assert crossing == {}
