"""Test tiers: the whole suite, and a fast inner loop.

`python3 -m pytest` runs every test (CI runs exactly that). `python3 -m pytest -m "not slow"` is
the fast tier, for the loop of change and check: it leaves out the tests marked

- `slow`: a test that takes more than about 3 s on a 2-core machine: it trains a real model for
  more than a few steps, starts worker processes, the app or a subprocess that imports torch, or
  runs many property examples. Mark it `@pytest.mark.slow` (or a whole module with
  `pytestmark = pytest.mark.slow`). Keep a quick test of the same module in the fast tier.
- `browser`: every test under tests/e2e (marked here, nothing to write);
- `ray`: a test that starts a Ray cluster (mark its module `pytestmark = pytest.mark.ray`).

Browser and Ray tests count as slow (marked here). `pytest --durations=30` shows what to mark.

The fast tier still covers every module of builder/ and components/: when it has run in full,
this file checks that each of those modules was imported, and fails the run naming any that no
fast test imports (give that module a quick test rather than dropping the check).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
E2E = ROOT / "tests" / "e2e"
COVERED = ("builder", "components")  # every module of these is imported by some fast test
FAST = "not slow"
_MISSING = pytest.StashKey[list]()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.is_relative_to(E2E):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("browser") or item.get_closest_marker("ray"):
            item.add_marker(pytest.mark.slow)


def project_modules() -> set[str]:
    """Every importable module of the covered packages; not the frontends' sources, not the
    loop templates (source text for generated code), and not `__main__`, which runs as a
    program (`python -m builder`, in the CLI tests' own processes, out of this one's sight)."""
    names = set()
    for package in COVERED:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "frontend" in parts or parts[:3] == ("builder", "codegen", "templates"):
                continue
            if parts[-1] == "__main__":
                continue
            names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _ran_the_whole_fast_tier(session) -> bool:
    config = session.config
    return (
        config.getoption("markexpr") == FAST
        and not config.getoption("collectonly")
        and config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not config.getoption("keyword")
        and not config.getoption("deselect")
        and not session.shouldstop
        and not session.shouldfail
        and session.testscollected > 0
    )


def pytest_sessionfinish(session, exitstatus):
    if not _ran_the_whole_fast_tier(session):
        return
    missing = sorted(project_modules() - set(sys.modules))
    if missing:
        session.config.stash[_MISSING] = missing
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    missing = config.stash.get(_MISSING, [])
    if missing:
        terminalreporter.section("modules no fast test imports", sep="=", red=True)
        for name in missing:
            terminalreporter.line(f"{name}: give it a test that is not marked slow")
