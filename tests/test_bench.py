"""Every benchmark in bench/ still runs: each script at its smallest (`--tiny`) exits cleanly
and prints JSON lines. Their figures are not judged here (the scripts report them against
their targets); this keeps a benchmark from rotting unnoticed. A new script in bench/ is
picked up by itself, and needs a `--tiny` flag."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

BENCH = ROOT / "bench"
CHROMIUM = os.environ.get("NETBUILDER_CHROMIUM", "/usr/bin/chromium")
IN_A_BROWSER = {"dashboard.py", "open_app.py", "ui_latency.py"}  # they start the app
ON_RAY = {"ray_executor.py"}
TIMEOUT_S = 900


def _param(script: str):
    marks = [pytest.mark.slow, pytest.mark.timeout(TIMEOUT_S + 60)]
    marks += [pytest.mark.browser] if script in IN_A_BROWSER else []
    marks += [pytest.mark.ray] if script in ON_RAY else []
    return pytest.param(script, marks=marks, id=script.removesuffix(".py"))


def _needs(script: str) -> str | None:
    """Why `script` cannot run here, if it cannot."""
    if script in IN_A_BROWSER and not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM}"
    if script in ON_RAY:
        try:
            import ray  # noqa: F401
        except ImportError:
            return 'Ray is optional: pip install "netbuilder[ray]"'
    return None


@pytest.mark.parametrize("script", [_param(p.name) for p in sorted(BENCH.glob("*.py"))])
def test_a_benchmark_runs_at_its_smallest(script, tmp_path):
    missing = _needs(script)
    if missing:
        if os.environ.get("CI") == "true":  # CI installs everything: a gap there is a failure
            pytest.fail(missing)
        pytest.skip(missing)
    # One torch thread: the figures do not matter here, and a busy machine stays usable.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--tiny"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines, f"{script} printed nothing"
    for line in lines:
        row = json.loads(line)  # every line is one JSON object
        assert isinstance(row, dict) and "bench" in row, line
        assert "error" not in row, line
