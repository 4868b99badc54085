"""Training in its own process: events stream back, pause/resume/stop work, the store records all."""

from __future__ import annotations

import pytest
import torch

from builder.design.presets import load_preset
from builder.runs.store import RunStore
from builder.runs.worker import get_handle, start_run
from tests.waiting import drain


@pytest.mark.slow
def test_a_run_in_its_own_process_reports_and_is_recorded(tmp_path):
    handle = start_run(load_preset("mlp_moons"), tmp_path, epochs=3, threads=1)
    assert get_handle(handle.run_id) is handle
    events = drain(handle, lambda e: e["type"] in ("done", "error"))
    assert events[-1]["type"] == "done", events[-1]
    assert [e["epoch"] for e in events if e["type"] == "epoch"] == [1, 2, 3]
    assert events[0]["type"] == "start" and events[0]["n_train"] == 800
    assert handle.wait(30) == 0 and not handle.alive
    assert handle.status == "finished"
    store = RunStore(tmp_path)
    run = store.get_run(handle.run_id)
    assert run["status"] == "finished" and run["final"]["epochs"] == 3
    assert [m["epoch"] for m in store.metrics(handle.run_id)] == [1, 2, 3]
    state = torch.load(run["weights_path"], weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())


@pytest.mark.slow
def test_pause_resume_and_stop_from_the_parent(tmp_path):
    handle = start_run(load_preset("lstm_sine"), tmp_path, epochs=200, threads=1, step_every=1)
    drain(handle, lambda e: e["type"] == "step")
    handle.pause()
    drain(handle, lambda e: e.get("status") == "paused")
    assert handle.status == "paused" and handle.alive
    handle.resume()
    drain(handle, lambda e: e.get("status") == "running")
    handle.stop()
    assert not handle.alive
    events = handle.poll()
    assert events and events[-1]["type"] == "done" and events[-1]["status"] == "stopped"
    assert RunStore(tmp_path).get_run(handle.run_id)["status"] == "stopped"


def test_a_stop_while_the_run_starts_up_is_a_stop_not_a_failure(tmp_path):
    handle = start_run(load_preset("lenet_digits"), tmp_path, epochs=50, threads=1)
    handle.stop(timeout=0.05)  # still importing torch: no time to save, so it is killed
    assert not handle.alive
    events = handle.poll()
    assert events[-1]["type"] == "done" and events[-1]["status"] == "stopped", events[-1]
    assert handle.status == "stopped" and handle.last_error is None
    run = RunStore(tmp_path).get_run(handle.run_id)
    assert run["status"] == "stopped" and run["error"] is None


@pytest.mark.slow
def test_a_failing_run_reports_its_reason(tmp_path):
    design = load_preset("mlp_moons").with_training(dataset="sine")
    handle = start_run(design, tmp_path, threads=1)
    events = drain(handle, lambda e: e["type"] in ("done", "error"))
    assert events[-1]["type"] == "error"
    assert "samples of shape [32, 1], but the Input expects [2]" in events[-1]["message"]
    handle.wait(30)
    run = RunStore(tmp_path).get_run(handle.run_id)
    assert run["status"] == "error" and "expects [2]" in run["error"]


@pytest.mark.slow
def test_an_unknown_loop_is_an_error_event_not_a_hang(tmp_path):
    handle = start_run(load_preset("mlp_moons"), tmp_path, loop="builder.nowhere:loop")
    events = drain(handle, lambda e: e["type"] == "error")
    assert "the training loop is not available (builder.nowhere:loop)" in events[-1]["message"]
