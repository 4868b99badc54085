"""The run-handle contract, once over every executor: a local process, a thread, and a Ray
actor on the session's local head. Each starts real trainings recorded in a real store."""

from __future__ import annotations

import importlib.util
import os

import pytest
import torch

from builder.design.presets import load_preset
from builder.runs.handle import RunHandle
from builder.runs.job import RunOptions
from builder.runs.launch import get_handle, start_run
from builder.runs.protocol import EventKind, RunStatus
from builder.runs.store import RunStore
from builder.runs.thread import ThreadExecutor
from builder.runs.worker import LocalExecutor
from tests.waiting import drain

ENDS = (EventKind.DONE, EventKind.ERROR)


@pytest.fixture(
    params=[
        pytest.param("local", marks=pytest.mark.slow),
        "thread",
        pytest.param("ray", marks=[pytest.mark.ray, pytest.mark.slow]),
    ]
)
def executor(request):
    if request.param == "local":
        return LocalExecutor()
    if request.param == "thread":
        return ThreadExecutor()
    if importlib.util.find_spec("ray") is None and os.environ.get("CI") != "true":
        pytest.skip('Ray is optional: pip install "netbuilder[ray]"')
    from builder.runs.ray_executor import RayExecutor  # deferred: Ray is optional

    return RayExecutor(request.getfixturevalue("cluster"))


def test_a_run_reports_its_events_and_ends_recorded(executor, tmp_path):
    options = RunOptions(
        epochs=2, threads=1, step_every=5, design_id="0123456789abcdef", executor=executor
    )
    handle = start_run(load_preset("mlp_moons"), tmp_path, options)
    assert isinstance(handle, RunHandle) and get_handle(handle.run_id) is handle
    events = drain(handle, lambda e: e["type"] in ENDS)
    kinds = [e["type"] for e in events]
    assert kinds[0] == EventKind.START and EventKind.STEP in kinds, kinds
    assert events[-1]["type"] == EventKind.DONE, events[-1]
    assert events[-1]["status"] == RunStatus.FINISHED
    assert [e["epoch"] for e in events if e["type"] == EventKind.EPOCH] == [1, 2]
    assert handle.wait(60) == 0 and not handle.alive and handle.status == RunStatus.FINISHED
    assert handle.poll() == [] and handle.drained
    store = RunStore(tmp_path)
    run = store.get_run(handle.run_id)
    assert run["status"] == RunStatus.FINISHED and run["final"]["epochs"] == 2
    assert run["design_id"] == "0123456789abcdef"
    assert run["weights_path"] == str(handle.out_dir / "weights.pt")
    assert torch.load(run["weights_path"], weights_only=True)
    assert [m["epoch"] for m in store.metrics(handle.run_id)] == [1, 2]


def test_pause_resume_and_stop(executor, tmp_path):
    options = RunOptions(epochs=500, threads=1, step_every=1)
    handle = executor.start(load_preset("lstm_sine"), tmp_path, options)
    drain(handle, lambda e: e["type"] == EventKind.STEP)
    handle.pause()
    drain(handle, lambda e: e.get("status") == RunStatus.PAUSED)
    assert handle.status == RunStatus.PAUSED and handle.alive
    handle.resume()
    drain(handle, lambda e: e.get("status") == RunStatus.RUNNING)
    assert handle.status == RunStatus.RUNNING
    handle.stop(timeout=60)
    assert not handle.alive
    last = handle.poll()[-1]
    assert last["type"] == EventKind.DONE and last["status"] == RunStatus.STOPPED, last
    assert handle.status == RunStatus.STOPPED and handle.wait(0) == 0
    run = RunStore(tmp_path).get_run(handle.run_id)
    assert run["status"] == RunStatus.STOPPED and run["error"] is None
    assert torch.load(run["weights_path"], weights_only=True)  # what it trained is kept


def test_a_failing_run_ends_with_its_reason(executor, tmp_path):
    design = load_preset("mlp_moons").with_training(dataset="sine")
    handle = executor.start(design, tmp_path, RunOptions(threads=1))
    events = drain(handle, lambda e: e["type"] in ENDS)
    assert events[-1]["type"] == EventKind.ERROR
    assert "samples of shape [32, 1], but the Input expects [2]" in events[-1]["message"]
    assert handle.wait(60) == 1 and handle.status == RunStatus.ERROR
    assert handle.last_error == events[-1]["message"]
    run = RunStore(tmp_path).get_run(handle.run_id)
    assert run["status"] == RunStatus.ERROR and run["error"] == handle.last_error
