"""Training in its own process: what only a process does (the run-handle contract, events,
pause/resume/stop and the store, is tested over every executor in test_run_handles)."""

from __future__ import annotations

import pytest

from builder.design.presets import load_preset
from builder.runs.job import RunOptions
from builder.runs.launch import start_run
from builder.runs.store import RunStore
from tests.waiting import drain


def test_a_stop_while_the_run_starts_up_is_a_stop_not_a_failure(tmp_path):
    handle = start_run(load_preset("lenet_digits"), tmp_path, RunOptions(epochs=50, threads=1))
    handle.stop(timeout=0.05)  # still importing torch: no time to save, so it is killed
    assert not handle.alive
    events = handle.poll()
    assert events[-1]["type"] == "done" and events[-1]["status"] == "stopped", events[-1]
    assert handle.status == "stopped" and handle.last_error is None
    run = RunStore(tmp_path).get_run(handle.run_id)
    assert run["status"] == "stopped" and run["error"] is None


@pytest.mark.slow
def test_an_unknown_loop_is_an_error_event_not_a_hang(tmp_path):
    handle = start_run(load_preset("mlp_moons"), tmp_path, RunOptions(loop="builder.nowhere:loop"))
    events = drain(handle, lambda e: e["type"] == "error")
    assert "the training loop is not available (builder.nowhere:loop)" in events[-1]["message"]
