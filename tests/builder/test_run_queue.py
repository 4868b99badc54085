"""The server's fair run queue, with real worker processes: order, limits, cancel, restart."""

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
from builder.runs.job import RunOptions
from builder.runs.queue import RunQueue, default_max_running, ordinal
from builder.runs.store import RunStore
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
LONG = load_preset("mlp_moons").with_training(epochs=500)  # trains until it is stopped
SHORT = load_preset("mlp_moons").with_training(epochs=3)


@pytest.fixture
def people(tmp_path):
    folders = [tmp_path / "people" / name for name in ("ada", "bob")]
    for folder in folders:
        folder.mkdir(parents=True)
    return [f.resolve() for f in folders]


@pytest.fixture
def queue():
    made = []

    def make(**limits) -> RunQueue:
        made.append(RunQueue(**limits))
        return made[-1]

    yield make
    for q in made:  # no worker outlives its test
        for root, run_id in q.training():
            q.handle(root, run_id).stop()


def status(folder, run_id) -> str:
    return RunStore(folder).get_run(run_id)["status"]


@pytest.mark.slow
def test_runs_wait_in_order_and_start_as_places_free_up(people, queue):
    ada, bob = people
    q = queue(max_running=1, per_person=1)
    first = q.submit(LONG, ada, RunOptions(design_id="0123456789abcdef"))
    bobs = q.submit(LONG, bob)
    second = q.submit(LONG, ada)
    assert q.training() == [(str(ada), first)]
    assert (q.place(bob, bobs), q.place(ada, second), q.place(ada, first)) == (1, 2, None)
    assert status(ada, first) == "running" and status(ada, second) == "queued"
    assert RunStore(ada).list_runs(design_id="0123456789abcdef")[0]["id"] == first

    wait_until(lambda: RunStore(ada).metrics(first), 60, "the first run's first epoch")
    q.handle(ada, first).stop()
    wait_until(lambda: q.training() == [(str(bob), bobs)], 60, "bob's run to start")
    assert q.place(ada, second) == 1  # the one place is bob's now
    assert status(ada, first) == "stopped"

    assert q.cancel(ada, second) and not q.cancel(ada, second)
    assert status(ada, second) == "cancelled" and q.place(ada, second) is None
    q.handle(bob, bobs).stop()
    wait_until(lambda: q.training() == [], 60, "the queue to empty")
    assert status(ada, second) == "cancelled"  # a cancelled run never starts


@pytest.mark.slow
def test_each_person_trains_one_run_at_a_time_and_others_go_first(people, queue):
    ada, bob = people
    q = queue(max_running=2, per_person=1)
    first, second = q.submit(LONG, ada), q.submit(LONG, ada)
    bobs = q.submit(LONG, bob)
    assert set(q.training()) == {(str(ada), first), (str(bob), bobs)}
    assert q.place(ada, second) == 1
    wait_until(lambda: RunStore(ada).metrics(first), 60, "ada's first epoch")
    q.handle(ada, first).stop()
    wait_until(lambda: (str(ada), second) in q.training(), 60, "ada's second run")


@pytest.mark.slow
def test_concurrent_runs_writing_the_store_leave_it_intact(people, queue):
    ada, _ = people
    q = queue(max_running=3, per_person=3)
    ids = [q.submit(SHORT, ada) for _ in range(3)]
    assert len(q.training()) == 3
    wait_until(lambda: all(status(ada, i) == "finished" for i in ids), 180, "all three runs")
    with sqlite3.connect(RunStore(ada).path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = RunStore(ada)
    assert [len(store.metrics(i)) for i in ids] == [3, 3, 3]
    assert all(Path(store.get_run(i)["weights_path"]).exists() for i in ids)


def test_a_run_that_cannot_start_says_why_and_frees_its_place(people, queue):
    ada, _ = people

    def broken(design, workspace, options):
        raise OSError("no process could be started")

    q = RunQueue(max_running=1, per_person=1, starter=broken)
    run_id = q.submit(LONG, ada)
    run = RunStore(ada).get_run(run_id)
    assert run["status"] == "error" and "no process could be started" in run["error"]
    assert q.training() == [] and q.waiting() == []


SERVER = textwrap.dedent(
    """
    import sys, time
    from builder.design.presets import load_preset
    from builder.runs.queue import RunQueue
    from builder.runs.store import RunStore

    folder = sys.argv[1]
    design = load_preset("mlp_moons").with_training(epochs=500)
    q = RunQueue(max_running=1, per_person=1)
    training, waiting = q.submit(design, folder), q.submit(design, folder)
    while not RunStore(folder).metrics(training):
        time.sleep(0.05)
    print(training, waiting, flush=True)
    time.sleep(600)
    """
)


@pytest.mark.slow
def test_a_server_restart_loses_nothing(people):
    ada, _ = people
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(ada)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        training, waiting = map(int, server.stdout.readline().split())
    finally:
        server.send_signal(signal.SIGKILL)  # the page server dies: no goodbye to anyone
        server.wait(10)
    store = RunStore(ada)
    assert store.get_run(waiting)["status"] == "interrupted"
    worker_pid = store.get_run(training)["pid"]
    wait_until(lambda: store.get_run(training)["status"] == "interrupted", 60, "the worker to end")
    wait_until(lambda: not Path(f"/proc/{worker_pid}").exists(), 60, "the worker process to exit")
    run = store.get_run(training)
    assert store.metrics(training) and Path(run["weights_path"]).exists()


def test_limits_come_from_the_environment_and_bad_values_are_named(monkeypatch):
    monkeypatch.setenv("NETBUILDER_MAX_RUNS", "3")
    assert default_max_running() == 3
    monkeypatch.delenv("NETBUILDER_MAX_RUNS")
    assert default_max_running() == max(1, (os.cpu_count() or 2) - 1)
    for bad in ("0", "two"):
        monkeypatch.setenv("NETBUILDER_MAX_RUNS", bad)
        with pytest.raises(ValueError, match="NETBUILDER_MAX_RUNS"):
            default_max_running()
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"
    ]  # fmt: skip


def test_a_person_named_by_a_relative_path_is_the_same_person(people, queue, monkeypatch):
    ada, _ = people
    monkeypatch.chdir(ada.parent)
    q = queue(max_running=1, per_person=1)
    first = q.submit(LONG, Path("ada"))  # as a caller might spell the folder
    second = q.submit(LONG, ada)
    assert q.training(ada) == [(str(ada), first)] and q.place(Path("ada"), second) == 1
    assert q.handle(ada, first) is q.handle(Path("ada"), first) is not None
