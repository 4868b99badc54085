"""Runs on a real Ray cluster: a local head on 127.0.0.1 with 2 CPUs, in processes of its own.

What only Ray does (the run-handle contract is tested over every executor in
test_run_handles): shipped data and weights, CPUs held and freed, a killed worker, an
unreachable cluster and the CLI, each with a real training. Skipped where Ray is not installed, except under CI, where `.[test]` brings it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

if os.environ.get("CI") != "true":
    pytest.importorskip("ray", reason='Ray is optional: pip install "netbuilder[ray]"')

import ray  # noqa: E402

from builder.data.uploads import dataset_setting, save_upload  # noqa: E402
from builder.design.presets import load_preset  # noqa: E402
from builder.runs.job import RunOptions  # noqa: E402
from builder.runs.launch import get_handle, start_run  # noqa: E402
from builder.runs.queue import RunQueue  # noqa: E402
from builder.runs.ray_connect import ADDRESS_ENV, RayUnreachable  # noqa: E402
from builder.runs.ray_executor import RayExecutor, RayRunHandle, RemoteRun  # noqa: E402
from builder.runs.samples_file import SAMPLES_FILE, read_samples  # noqa: E402
from builder.runs.store import RunStore  # noqa: E402
from tests.builder.conftest import RAY_CPUS as CPUS  # noqa: E402  (the `cluster` fixture's)
from tests.builder.data_files import blobs_csv  # noqa: E402
from tests.builder.ray_head import ROOT, free_port  # noqa: E402
from tests.waiting import drain, wait_until  # noqa: E402

pytestmark = pytest.mark.ray


def wait_for_free_cpus(expected, timeout=30.0) -> float:
    """The cluster's free CPUs once they are `expected` (Ray's view lags a start or a kill a
    little); WaitTimeout with what they are after `timeout`."""

    def free():
        return ray.available_resources().get("CPU", 0)

    wait_until(lambda: free() == expected, timeout, lambda: f"{expected} free CPUs, not {free()}")
    return expected


def wait_for_all_cpus() -> float:
    return wait_for_free_cpus(CPUS)


def test_a_run_streams_live_events_and_its_results_land_on_the_page_server(
    cluster, tmp_path, monkeypatch
):
    monkeypatch.setenv(ADDRESS_ENV, cluster)
    raw = blobs_csv(n=1000)
    path = save_upload("blobs.csv", raw, tmp_path)
    design = load_preset("mlp_moons").with_training(dataset=dataset_setting("blobs.csv", path))
    handle = start_run(design, tmp_path, RunOptions(epochs=12, step_every=1, executor="ray"))
    assert get_handle(handle.run_id) is handle

    # 13 steps an epoch, 156 in all: the first loss points reach this side long before the end.
    live = drain(handle, lambda e: e["type"] in ("step", "done", "error"))
    assert not any(e["type"] in ("done", "error") for e in live), live[-1]
    assert live[0]["type"] == "start" and live[0]["n_train"] == 800  # the shipped upload
    untrained_loss = next(e for e in live if e["type"] == "step")["loss"]
    assert isinstance(untrained_loss, float)
    events = live + drain(handle, lambda e: e["type"] in ("done", "error"))
    assert events[-1]["type"] == "done" and events[-1]["status"] == "finished", events[-1]
    assert [e["epoch"] for e in events if e["type"] == "epoch"] == list(range(1, 13))
    assert handle.wait(30) == 0 and not handle.alive and handle.status == "finished"

    weights = handle.out_dir / "weights.pt"
    assert events[-1]["weights_path"] == str(weights)
    state = torch.load(weights, weights_only=True)
    assert state and all(isinstance(v, torch.Tensor) for v in state.values())
    store = RunStore(tmp_path)
    run = store.get_run(handle.run_id)
    assert run["status"] == "finished" and run["weights_path"] == str(weights)
    assert run["final"]["epochs"] == 12 and run["final"]["val_accuracy"] > 0.9
    assert [m["epoch"] for m in store.metrics(handle.run_id)] == list(range(1, 13))
    assert wait_for_all_cpus() == CPUS

    # The saved weights travel back out as a new run's start.
    again = start_run(
        design, tmp_path, RunOptions(epochs=1, initial_weights=weights, executor="ray")
    )
    more = drain(again, lambda e: e["type"] in ("done", "error"))
    first_loss = next(e for e in more if e["type"] == "epoch")["train_loss"]
    assert more[-1]["status"] == "finished" and first_loss < untrained_loss, more[-1]


def test_a_run_holds_its_cpu_until_it_is_stopped(cluster, tmp_path):
    executor = RayExecutor(cluster)
    handle = executor.start(load_preset("lstm_sine"), tmp_path, RunOptions(epochs=200))
    drain(handle, lambda e: e["type"] == "step")
    assert wait_for_free_cpus(CPUS - 1) == CPUS - 1  # one CPU, held while it trains
    handle.stop()
    events = handle.poll()
    assert events and events[-1]["type"] == "done" and events[-1]["status"] == "stopped"
    assert events[-1]["weights_path"] == str(handle.out_dir / "weights.pt")  # come back here
    assert wait_for_all_cpus() == CPUS


def test_a_stop_while_the_actor_starts_up_is_a_stop(cluster, tmp_path):
    handle = RayExecutor(cluster).start(
        load_preset("lenet_digits"), tmp_path, RunOptions(epochs=50)
    )
    handle.stop(timeout=0.05)
    assert not handle.alive
    events = handle.poll()
    assert events[-1]["type"] == "done" and events[-1]["status"] == "stopped", events[-1]
    assert handle.status == "stopped" and handle.last_error is None
    run = RunStore(tmp_path).get_run(handle.run_id)
    assert run["status"] == "stopped" and run["error"] is None
    assert wait_for_all_cpus() == CPUS


def test_a_run_waits_for_cpus_another_run_frees(cluster, tmp_path):
    first = RayExecutor(cluster).start(load_preset("mlp_moons"), tmp_path, RunOptions(epochs=500))
    drain(first, lambda e: e["type"] == "epoch")
    second = RayExecutor(cluster, cpus=CPUS).start(
        load_preset("mlp_moons"), tmp_path, RunOptions(epochs=1)
    )
    # A run that fits in the CPU left starts, trains and ends meanwhile; this one has no CPUs
    # to start on, so it is still waiting.
    fits = RayExecutor(cluster).start(load_preset("mlp_moons"), tmp_path, RunOptions(epochs=1))
    ended = drain(fits, lambda e: e["type"] in ("done", "error"))[-1]
    assert ended.get("status") == "finished", ended
    assert second.poll() == [] and second.status == "starting" and second.alive
    first.stop()
    events = drain(second, lambda e: e["type"] in ("done", "error"))
    assert events[0]["type"] == "start" and events[-1]["status"] == "finished", events[-1]
    assert wait_for_all_cpus() == CPUS


def test_a_killed_worker_leaves_the_run_interrupted_with_its_epochs(cluster, tmp_path):
    handle = RayExecutor(cluster).start(load_preset("mlp_moons"), tmp_path, RunOptions(epochs=500))
    drain(handle, lambda e: e["type"] == "epoch" and e["epoch"] == 2)
    pid = ray.get(handle.actor.pid.remote())
    assert pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    events = drain(handle, lambda e: e["type"] in ("done", "error"))
    assert events[-1]["type"] == "done" and events[-1]["status"] == "interrupted", events[-1]
    assert "the Ray worker training this run went away" in events[-1]["note"]
    assert handle.status == "interrupted" and not handle.alive
    store = RunStore(tmp_path)
    run = store.get_run(handle.run_id)
    assert run["status"] == "interrupted" and "Ray worker" in run["error"]
    kept = [m["epoch"] for m in store.metrics(handle.run_id)]
    assert kept[:2] == [1, 2] and kept == list(range(1, len(kept) + 1))
    assert wait_for_all_cpus() == CPUS


def test_a_gans_samples_come_back_into_the_run_folder(cluster, tmp_path):
    handle = RayExecutor(cluster).start(load_preset("gan_moons"), tmp_path, RunOptions(epochs=2))
    events = drain(handle, lambda e: e["type"] in ("done", "error"))
    assert events[-1]["type"] == "done", events[-1]
    live = {e["epoch"]: e["samples"] for e in events if e["type"] == "samples"}
    assert live and all(isinstance(a, np.ndarray) for a in live.values())
    saved, _kind = read_samples(handle.out_dir / SAMPLES_FILE)
    assert sorted(saved) == sorted(live)
    assert all(np.array_equal(saved[k], live[k]) for k in live)


def test_a_run_whose_actor_cannot_start_is_an_error_that_says_why(cluster, tmp_path):
    store = RunStore(tmp_path)
    design = load_preset("mlp_moons")
    run_id = store.create_run(design)
    # A job naming a shipped data file for a design on a built-in data set: its unpacking fails.
    job = {"design": design.to_dict(), "data_file": "blobs.csv"}
    actor = RemoteRun.options(num_cpus=1, max_restarts=0).remote(job, {})
    handle = RayRunHandle(run_id, actor, store.root, store.run_dir(run_id))
    events = drain(handle, lambda e: e["type"] in ("done", "error"))
    assert events[-1]["type"] == "error" and handle.status == "error"
    assert "the Ray worker could not start this run (TypeError" in events[-1]["message"]
    assert "every machine of the cluster needs netbuilder" in handle.last_error
    run = store.get_run(run_id)
    assert run["status"] == "error" and run["error"] == handle.last_error
    assert wait_for_all_cpus() == CPUS


def test_an_unreachable_cluster_is_a_clear_error_and_records_nothing(cluster, tmp_path):
    address = f"127.0.0.1:{free_port()}"
    for where in (address, f"ray://{address}"):
        with pytest.raises(RayUnreachable) as caught:
            RayExecutor(where).start(load_preset("mlp_moons"), tmp_path, RunOptions())
        assert f"cannot reach the Ray cluster at {where}" in str(caught.value)
        assert "ray start --head" in str(caught.value) and ADDRESS_ENV in str(caught.value)
    assert RunStore(tmp_path).list_runs() == []


HEAD_DIES = """
import json, sys, tempfile
from builder.design.presets import load_preset
from builder.runs.ray_connect import RayUnreachable, connect
from builder.runs.job import RunOptions
from builder.runs.ray_executor import RayExecutor
from builder.runs.store import RunStore
from tests.builder.ray_head import kill_now, local_head
from tests.waiting import drain

workspace = sys.argv[1]
with local_head(cpus=1) as address:
    connect(address)
    handle = RayExecutor(address).start(load_preset("mlp_moons"), workspace, RunOptions(epochs=500))
    drain(handle, lambda e: e["type"] == "epoch" and e["epoch"] == 2)
    kill_now(address)
    last = drain(handle, lambda e: e["type"] in ("done", "error"))[-1]
    try:
        RayExecutor(address).start(load_preset("mlp_moons"), workspace, RunOptions())
        refused = None
    except RayUnreachable as exc:
        refused = str(exc)
    store = RunStore(workspace)
    print(json.dumps({
        "last": {k: last.get(k) for k in ("type", "status")},
        "run": store.get_run(handle.run_id)["status"],
        "epochs": [m["epoch"] for m in store.metrics(handle.run_id)],
        "runs": len(store.list_runs()),
        "refused": refused,
    }))
"""


def test_a_cluster_whose_head_dies_interrupts_its_runs_and_refuses_new_ones(tmp_path):
    # In a process of its own: this one stays connected to the module's cluster.
    done = subprocess.run(
        [sys.executable, "-c", HEAD_DIES, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["last"] == {"type": "done", "status": "interrupted"}
    assert seen["run"] == "interrupted" and seen["epochs"][:2] == [1, 2]
    assert seen["runs"] == 1  # the refused start recorded nothing
    assert seen["refused"].startswith("cannot reach the Ray cluster at 127.0.0.1:")


def _cli(args, tmp_path, address):
    design = tmp_path / "design.json"
    design.write_text(json.dumps(load_preset("mlp_moons").to_dict()))
    env = {**os.environ, ADDRESS_ENV: address, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "builder", "train", str(design), "--quiet", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=180,
    )


def test_the_cli_trains_on_ray(cluster, tmp_path):
    out = tmp_path / "out"
    done = _cli(
        ["--executor", "ray", "--epochs", "2", "--out", str(out), "--workspace", str(tmp_path)],
        tmp_path,
        cluster,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["status"] == "finished" and summary["epochs"] == 2
    assert summary["weights"] == str(out / "weights.pt")
    assert torch.load(out / "weights.pt", weights_only=True)
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]
    assert RunStore(tmp_path).get_run(summary["run_id"])["status"] == "finished"


def test_the_cli_says_when_the_cluster_is_unreachable(tmp_path):
    address = f"127.0.0.1:{free_port()}"
    done = _cli(["--executor", "ray", "--workspace", str(tmp_path)], tmp_path, address)
    assert done.returncode == 1
    assert f"error: cannot reach the Ray cluster at {address}" in done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["status"] == "error"


def test_without_ray_installed_the_cli_says_what_to_install(tmp_path):
    design = tmp_path / "design.json"
    design.write_text(json.dumps(load_preset("mlp_moons").to_dict()))
    without_ray = (
        "import sys; sys.modules['ray'] = None; from builder.cli import main; "
        f"sys.exit(main(['train', {str(design)!r}, '--executor', 'ray', '--workspace', "
        f"{str(tmp_path)!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", without_ray], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert 'needs Ray here: pip install "netbuilder[ray]"' in done.stderr
    assert RunStore(tmp_path).list_runs() == []


def test_the_run_queue_hands_its_runs_to_ray_in_turn(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv(ADDRESS_ENV, cluster)
    long = load_preset("mlp_moons").with_training(epochs=500)
    q = RunQueue(max_running=1, per_person=1)
    on_ray = RunOptions(executor="ray")
    first = q.submit(long, tmp_path, RunOptions(executor="ray", design_id="0123456789abcdef"))
    second = q.submit(long, tmp_path, on_ray)
    assert q.place(tmp_path, second) == 1
    handle = q.handle(tmp_path, first)
    assert isinstance(handle, RayRunHandle)
    drain(handle, lambda e: e["type"] in ("step", "done", "error"))
    store = RunStore(tmp_path)
    assert store.get_run(first)["status"] == "running"
    assert store.get_run(first)["design_id"] == "0123456789abcdef"
    handle.stop()
    wait_until(lambda: q.handle(tmp_path, second), 60, "the waiting run to start on Ray").stop()
    assert store.get_run(first)["status"] == "stopped"
    assert store.get_run(second)["status"] == "stopped"
    assert wait_for_all_cpus() == CPUS


def test_an_unreachable_cluster_fails_a_queued_run_with_the_address(tmp_path, monkeypatch):
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv(ADDRESS_ENV, address)
    q = RunQueue(max_running=1, per_person=1)
    run_id = q.submit(load_preset("mlp_moons"), tmp_path, RunOptions(executor="ray"))
    run = RunStore(tmp_path).get_run(run_id)
    assert run["status"] == "error" and address in run["error"]
    assert q.training() == []
