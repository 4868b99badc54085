"""The test tiers hold: no test module leans on another, and the fast tier's module check
sees every module of builder/ and components/."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from tests.conftest import ROOT, project_modules

TESTS = ROOT / "tests"


def imported_names(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_no_test_module_imports_another():
    """Shared helpers live in support modules (tests/waiting.py, tests/builder/helpers.py, ...),
    so running one test file never runs another's tests nor depends on its fixtures."""
    leaning = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in [*TESTS.rglob("*.py"), *(ROOT / "bench").glob("*.py")]
        for name in imported_names(path)
        if name.startswith("tests.") and name.split(".")[-1].startswith("test_")
    }
    assert not leaning, sorted(leaning)


def test_the_fast_tier_check_knows_every_module():
    modules = project_modules()
    assert {"builder", "builder.runs.worker", "components", "components.live_view"} <= modules
    assert not any(".templates." in name or "frontend" in name for name in modules)
    unfindable = [name for name in sorted(modules) if importlib.util.find_spec(name) is None]
    assert not unfindable, unfindable
