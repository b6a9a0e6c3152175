"""A learner message flows one way (channel → engine → nlu → policy → action → kg/recommender/music):
nothing below the service layer imports it, so each lower package runs and tests on its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOWER = ("nlu", "actions", "kg", "recommender", "music")


def _imported_packages(package: str, root: Path = ROOT) -> dict[str, set[str]]:
    """Top-level package of every import in `package`, by module file (imports inside functions too)."""
    found: dict[str, set[str]] = {}
    for path in sorted((root / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
        found[str(path.relative_to(root))] = names
    return found


@pytest.mark.parametrize("package", LOWER)
def test_a_lower_package_never_imports_the_service_layer(package: str) -> None:
    modules = _imported_packages(package)
    assert modules  # the package is there and was read
    assert [module for module, names in modules.items() if "bot" in names] == []


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    (tmp_path / "lower").mkdir()
    (tmp_path / "lower" / "mod.py").write_text("def f():\n    from bot.store import X\n    return X\n")
    assert _imported_packages("lower", tmp_path) == {"lower/mod.py": {"bot"}}
