"""Pause, resume and stop take effect within one step; events cross processes intact."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from builder.design.presets import load_preset
from builder.runs.protocol import decode_event, encode_event
from builder.runs.store import RunStore
from builder.runs.thread import ThreadRun
from builder.training.control import LoopResult, RunControl, TrainingError, periodic_saver
from builder.training.runner import run_loop
from tests.builder.data_files import one_torch_thread
from tests.waiting import drain, wait_until

one_thread = pytest.fixture(autouse=True)(one_torch_thread)


def counting_loop(design, control, *, steps=10_000, **_):
    """A loop with the real control surface and no model: one 'step' per checkpoint."""
    done = 0
    for step in range(1, steps + 1):
        if not control.checkpoint():
            break
        done = step
        control.emit("step", step=step)
    return LoopResult(final={"steps": done}, weights={})


def test_pause_blocks_at_the_next_step_and_resume_continues():
    control = RunControl()
    reached = []
    gate = threading.Event()

    def sink(event):
        if event["type"] == "step":
            reached.append(event["step"])
            if event["step"] == 3:
                control.pause()
                gate.set()

    control.add_sink(sink)
    events = []
    control.add_sink(events.append)
    worker = threading.Thread(target=run_loop, args=(counting_loop, None, control), daemon=True)
    worker.start()
    assert gate.wait(30)
    # Paused right after step 3: the loop waits inside step 4's checkpoint and emitted a status.
    while not any(e["type"] == "status" for e in events):
        threading.Event().wait(0.01)
    assert reached == [1, 2, 3]
    assert [e["status"] for e in events if e["type"] == "status"] == ["paused"]
    control.stop()
    worker.join(30)
    assert not worker.is_alive()
    assert reached == [1, 2, 3]  # stop while paused: no further step ran
    assert events[-1] == {**events[-1], "type": "done", "status": "stopped"}


def test_stop_ends_a_real_run_within_one_step_and_keeps_its_weights(tmp_path):
    design = load_preset("mlp_moons").with_training(epochs=500)
    run = ThreadRun(design, out_dir=tmp_path, step_every=1)
    steps = []
    while len(steps) < 5:
        steps += [e for e in run.poll() if e["type"] == "step"]
        threading.Event().wait(0.01)
    run.pause()
    paused_at = None
    while paused_at is None:
        for e in run.poll():
            if e["type"] == "step":
                steps.append(e)
            if e["type"] == "status":
                paused_at = steps[-1]["step"]
        threading.Event().wait(0.01)
    threading.Event().wait(0.2)
    assert not [e for e in run.poll() if e["type"] == "step"]  # nothing ran while paused
    run.resume()
    run.stop(timeout=30)
    assert not run.alive
    events = run.poll()
    done = events[-1]
    assert done["type"] == "done" and done["status"] == "stopped"
    assert done["final"]["steps"] >= paused_at
    assert (tmp_path / "weights.pt").exists()


def test_errors_become_one_error_event():
    def broken(design, control, **_):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    def diverging(design, control, **_):
        raise TrainingError("the loss became NaN at step 7 (epoch 1)", step=7, epoch=1)

    for loop, step in ((broken, None), (diverging, 7)):
        events = []
        assert run_loop(loop, None, RunControl([events.append])) is None
        assert [e["type"] for e in events] == ["error"]
        assert events[0]["step"] == step
    assert events[0]["message"].startswith("the loss became NaN at step 7")


def test_events_with_arrays_survive_the_process_boundary():
    samples = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    event = {"type": "samples", "epoch": 2, "samples": samples, "loss": float("nan")}
    back = decode_event(encode_event(event))
    assert back["epoch"] == 2 and np.isnan(back["loss"])
    np.testing.assert_array_equal(back["samples"], samples)
    assert back["samples"].dtype == np.float32
    assert "\n" not in encode_event(event)


def test_a_run_keeps_its_weights_while_it_trains(tmp_path):
    design = load_preset("mlp_moons").with_training(epochs=2000)
    store = RunStore(tmp_path)
    run_id = store.create_run(design)
    run = ThreadRun(design, out_dir=tmp_path / "out", step_every=1000, sinks=[store.sink(run_id)])
    events = drain(run, lambda e: e["type"] == "checkpoint", 60)
    checkpoint = next(e for e in events if e["type"] == "checkpoint")
    before = events[: events.index(checkpoint)]
    assert [e["epoch"] for e in before if e["type"] == "epoch"] == [1]  # at the first epoch's end
    saved = torch.load(checkpoint["weights_path"], weights_only=True)
    assert set(saved) == set(run_loop_weights_keys(design))
    wait_until(lambda: store.get_run(run_id)["weights_path"], 30, "the checkpoint in the store")
    recorded = store.get_run(run_id)
    assert recorded["status"] == "running"
    assert recorded["weights_path"] == checkpoint["weights_path"]
    drain(run, lambda e: e["type"] == "epoch" and e["epoch"] >= 2, 60)  # it trains on
    run.stop(60)
    assert not run.alive
    final = torch.load(store.get_run(run_id)["weights_path"], weights_only=True)
    assert any(not torch.equal(saved[k], final[k]) for k in saved)  # it went on learning


def run_loop_weights_keys(design) -> list[str]:
    from builder.codegen.model_source import build_model

    return list(build_model(design).state_dict())


def test_weights_are_saved_at_most_every_few_seconds(tmp_path):
    control = RunControl()
    events = []
    control.add_sink(events.append)
    made = []

    def weights():
        made.append(True)
        return {"w": torch.zeros(2)}

    save = periodic_saver(control, tmp_path / "weights.pt", every_s=3600)
    for _ in range(5):
        save(weights)
    assert len(made) == 1 and [e["type"] for e in events] == ["checkpoint"]  # the first only
    often = periodic_saver(control, tmp_path / "often.pt", every_s=0, max_share=1.0)
    often(weights)
    often(weights)
    assert len(made) == 3 and (tmp_path / "often.pt").is_file()

    def slow_weights():  # a large model: saving takes a while
        time.sleep(0.2)
        return weights()

    slow = periodic_saver(control, tmp_path / "slow.pt", every_s=0, max_share=0.05)
    slow(slow_weights)
    slow(slow_weights)  # within 20 x 0.2 s of the first: skipped, saves stay <= 5% of the time
    assert len(made) == 4
