"""A GAN run's samples outlive it: written to its folder at the end, read back for the page."""

from __future__ import annotations

import numpy as np

from builder.design.presets import load_preset
from builder.runs.live import RunView
from builder.runs.samples_file import SAMPLES_FILE, read_samples, write_samples
from builder.runs.store import RunStore
from builder.runs.thread import ThreadRun


def test_a_finished_gan_run_shows_the_same_samples_from_the_store(tmp_path):
    design = load_preset("gan_moons").with_training(epochs=2)
    store = RunStore(tmp_path)
    run_id = store.create_run(design)
    run = ThreadRun(
        design, out_dir=store.run_dir(run_id), step_every=100, sinks=[store.sink(run_id)]
    )
    live = RunView(run_id)
    run.join(120)
    live.add(run.poll())
    assert (store.run_dir(run_id) / SAMPLES_FILE).is_file()
    recorded = RunView.from_store(store.get_run(run_id), store.metrics(run_id)).snapshot()
    shown = live.snapshot()
    assert sorted(recorded.samples) == sorted(shown.samples) == [0, 1, 2]
    assert recorded.sample_kind == shown.sample_kind == "points"
    for epoch, batch in shown.samples.items():
        assert np.array_equal(recorded.samples[epoch], batch)


def test_a_plain_run_writes_no_samples(tmp_path):
    run = ThreadRun(load_preset("mlp_moons").with_training(epochs=1), out_dir=tmp_path)
    run.join(120)
    assert not (tmp_path / SAMPLES_FILE).exists()


def test_broken_or_foreign_files_read_as_no_samples(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    assert read_samples(garbage) == ({}, None)
    assert read_samples(tmp_path / "missing.npz") == ({}, None)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, epoch_1=np.array([{"a": 1}], dtype=object), notes=np.arange(3))
    assert read_samples(foreign) == ({}, None)  # no pickles are loaded, other names ignored
    ours = write_samples(tmp_path / "s.npz", {0: np.ones((2, 2), np.float32)}, "points")
    samples, kind = read_samples(ours)
    assert kind == "points" and list(samples) == [0] and samples[0].shape == (2, 2)
