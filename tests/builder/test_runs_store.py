"""The SQLite run store: list/read/delete, two writers at once, a writer killed mid-run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from builder.design.presets import load_preset
from builder.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import sys, time
    from builder.design.presets import load_preset
    from builder.runs.store import RunStore
    store = RunStore(sys.argv[1])
    run = store.create_run(load_preset("mlp_moons"))
    epochs, hang = int(sys.argv[2]), sys.argv[3] == "hang"
    print(run, flush=True)
    sys.stdin.readline()  # start writing together with the other writer
    for epoch in range(1, epochs + 1):
        store.add_metrics(run, epoch, {"epoch": epoch, "train_loss": 1.0 / epoch, "pad": "x" * 2000})
    print("written", flush=True)
    if hang:
        time.sleep(600)
    store.finish_run(run, "finished", final={"epochs": epochs})
    """
)


def writer(workspace, epochs, hang=False):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(workspace), str(epochs), "hang" if hang else "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_runs_are_listed_read_and_deleted(tmp_path):
    store = RunStore(tmp_path)
    design = load_preset("lenet_digits")
    first = store.create_run(design)
    second = store.create_run(design.with_training(dataset="digits"))
    for epoch in (1, 2, 3):
        store.add_metrics(first, epoch, {"epoch": epoch, "val_accuracy": epoch / 10})
    store.finish_run(first, "finished", final={"epochs": 3}, weights_path=tmp_path / "w.pt")
    runs = store.list_runs()
    assert [r["id"] for r in runs] == [second, first]
    assert runs[1]["status"] == "finished" and runs[1]["final"] == {"epochs": 3}
    assert runs[1]["epochs_done"] == 3 and runs[1]["dataset"] == "digits"
    assert runs[0]["status"] == "running"  # this process is alive
    assert [m["epoch"] for m in store.metrics(first)] == [1, 2, 3]
    assert [m["epoch"] for m in store.metrics(first, since_epoch=2)] == [3]
    assert store.get_run(first)["design"]["name"] == "lenet_digits"
    store.run_dir(first).mkdir(parents=True)
    (store.run_dir(first) / "weights.pt").write_bytes(b"x")
    assert store.delete_run(first) and not store.run_dir(first).exists()
    assert store.get_run(first) is None and store.metrics(first) == []
    assert not store.delete_run(first)
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.slow
def test_two_writers_at_once_corrupt_nothing(tmp_path):
    RunStore(tmp_path)
    procs = [writer(tmp_path, 60), writer(tmp_path, 60)]
    ids = [int(p.stdout.readline()) for p in procs]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        assert p.communicate(timeout=120)[0].strip() == "written"
    assert all(p.returncode == 0 for p in procs)
    store = RunStore(tmp_path)
    for run_id in ids:
        assert [m["epoch"] for m in store.metrics(run_id)] == list(range(1, 61))
        assert store.get_run(run_id)["status"] == "finished"
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_a_killed_writer_leaves_its_finished_epochs_readable(tmp_path):
    proc = writer(tmp_path, 4, hang=True)
    run_id = int(proc.stdout.readline())
    proc.stdin.write("go\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "written"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    store = RunStore(tmp_path)
    assert [m["epoch"] for m in store.metrics(run_id)] == [1, 2, 3, 4]
    assert store.get_run(run_id)["status"] == "interrupted"
    store.add_metrics(store.create_run(load_preset("mlp_moons")), 1, {"epoch": 1})
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
