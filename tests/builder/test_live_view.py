"""RunView: what a dashboard draws, built from the events of a real (small) training run."""

from __future__ import annotations

import numpy as np

from builder.design.presets import load_preset
from builder.runs import samples_file
from builder.runs.live import RunView, curve, downsample
from builder.runs.store import RunStore
from builder.runs.thread import ThreadRun


def _small_mlp():
    return load_preset("mlp_moons").with_training(epochs=2, batch_size=100)


def _run_to_end(design, step_every=2) -> list[dict]:
    run = ThreadRun(design, step_every=step_every)
    run.join(120)
    assert not run.alive
    return run.poll()


def test_events_of_a_real_run_become_curves_progress_and_confusion():
    events = _run_to_end(_small_mlp())
    view = RunView(7)
    half = len(events) // 2
    view.add(events[:half])
    mid = view.snapshot()
    assert mid.status == "running" and not mid.ended
    view.add(events[half:])
    snap = view.snapshot()
    assert snap.run_id == 7 and snap.status == "finished" and snap.ended
    assert [e["epoch"] for e in snap.epochs] == [1, 2]
    assert len(snap.steps) > len(mid.steps) > 0
    assert all(np.isfinite(p["loss"]) for p in snap.steps)
    assert snap.steps[-1]["x"] <= 2.0  # x is in epochs
    last = snap.last_epoch
    matrix = np.array(last["confusion"])
    assert matrix.shape == (2, 2) and matrix.sum() == snap.start["n_val"]
    p = snap.progress
    assert (p.epoch, p.epochs) == (2, 2)
    assert p.step == p.total_steps == 2 * snap.start["steps_per_epoch"]
    assert p.fraction == 1.0 and p.samples_per_sec > 0 and p.seconds_left is None
    assert snap.class_names == ["upper", "lower"]
    assert mid.version < snap.version


def test_gan_events_keep_samples_per_epoch_and_the_real_points():
    design = load_preset("gan_moons").with_training(epochs=2)
    view = RunView(1)
    view.add(_run_to_end(design))
    snap = view.snapshot()
    assert snap.task == "gan" and snap.sample_kind == "points"
    assert sorted(snap.samples) == [0, 1, 2]
    assert snap.samples[2].shape[1:] == (2,)
    assert not np.array_equal(snap.samples[0], snap.samples[2])
    assert snap.real is not None and snap.real.shape[1] == 2
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(snap.last_epoch)
    assert "real" not in snap.start


def test_a_long_gan_run_keeps_a_bounded_spread_of_sample_epochs():
    view = RunView(2)
    small = np.zeros((64, 1, 8, 8), dtype=np.float32)
    for epoch in range(301):
        view.add([{"type": "samples", "epoch": epoch, "kind": "images", "samples": small + epoch}])
    kept = sorted(view.snapshot().samples)
    assert len(kept) <= samples_file.MAX_SAMPLE_EPOCHS and kept[0] == 0 and kept[-1] == 300
    assert max(b - a for a, b in zip(kept, kept[1:], strict=False)) <= 16  # spread, not a gap
    assert float(view.snapshot().samples[300].mean()) == 300.0  # each epoch its own batch
    big = np.zeros((64, 3, 64, 64), dtype=np.float32)  # 3 MiB a batch: the byte limit decides
    view = RunView(3)
    for epoch in range(100):
        view.add([{"type": "samples", "epoch": epoch, "kind": "images", "samples": big}])
    held = sum(a.nbytes for a in view.snapshot().samples.values())
    assert held <= samples_file.MAX_SAMPLE_BYTES and 99 in view.snapshot().samples


def test_error_and_stop_statuses():
    view = RunView(3)
    view.add([{"type": "error", "message": "the loss became NaN at step 4"}])
    assert view.snapshot().status == "error"
    assert "NaN" in view.snapshot().error
    view = RunView(4)
    view.add([{"type": "status", "status": "paused"}])
    assert view.snapshot().status == "paused"
    view.add([{"type": "done", "status": "stopped", "final": {}}])
    assert view.snapshot().ended


def test_time_left_comes_from_the_step_rate():
    now = [0.0]
    view = RunView(1, clock=lambda: now[0])
    view.add([{"type": "start", "epochs": 2, "steps_per_epoch": 10, "batch_size": 8}])
    for step in (2, 4):
        view.add(
            [{"type": "step", "step": step, "epoch": 1, "batch": step, "batches": 10, "loss": 1.0}]
        )
        now[0] += 1.0
    p = view.snapshot().progress
    assert p.samples_per_sec == 16.0  # 2 steps of 8 samples in 1 s
    burst = RunView(2, clock=lambda: 5.0)  # events that arrive together give no rate
    burst.add([{"type": "start", "epochs": 1, "steps_per_epoch": 9, "batch_size": 8}])
    burst.add([{"type": "step", "step": s, "epoch": 1, "loss": 1.0} for s in (3, 6)])
    assert burst.snapshot().progress.samples_per_sec is None
    assert p.seconds_left == (20 - 4) * 8 / 16.0
    assert (p.epoch, p.batch, p.batches) == (1, 4, 10)


def test_a_recorded_run_is_rebuilt_from_the_store(tmp_path):
    design = _small_mlp()
    store = RunStore(tmp_path)
    run_id = store.create_run(design)
    run = ThreadRun(design, step_every=50, sinks=[store.sink(run_id)])
    run.join(120)
    view = RunView.from_store(store.get_run(run_id), store.metrics(run_id))
    snap = view.snapshot()
    assert snap.status == "finished" and [e["epoch"] for e in snap.epochs] == [1, 2]
    assert snap.task == "classification" and snap.progress.epoch == 2


def test_sparse_recorded_metrics_still_make_a_view():
    run = {"id": 5, "status": "finished", "task": "classification", "design": {}}
    snap = RunView.from_store(run, [{"epoch": 1, "train_loss": 0.5}]).snapshot()
    assert snap.progress.epoch == 1 and snap.epochs[0]["train_loss"] == 0.5


def test_downsample_keeps_the_ends_and_caps_the_points():
    xs = list(range(10_000))
    dx, dy = downsample(xs, [x * 2 for x in xs], 400)
    assert len(dx) <= 400 and dx[0] == 0 and dx[-1] == 9_999
    assert dy == [x * 2 for x in dx]
    assert downsample([1, 2], [3, 4], 400) == ([1, 2], [3, 4])


def test_curve_skips_missing_and_non_finite_values():
    rows = [
        {"epoch": 1, "a": 1.0},
        {"epoch": 2},
        {"epoch": 3, "a": float("nan")},
        {"epoch": 4, "a": 2},
    ]
    assert curve(rows, "a") == ([1, 4], [1.0, 2])


def test_a_paused_run_has_no_time_left():
    view = RunView(1, clock=lambda: 0.0)
    view.add([{"type": "start", "epochs": 2, "steps_per_epoch": 10, "batch_size": 8}])
    view.add([{"type": "epoch", "epoch": 1, "step": 10, "samples_per_sec": 80.0}])
    assert view.snapshot().progress.seconds_left == 1.0
    view.add([{"type": "status", "status": "paused"}])
    assert view.snapshot().progress.seconds_left is None
