"""Ray against local workers: time from Train to the first loss point, and training throughput.

    python bench/ray_executor.py [--design lenet_digits] [--epochs 4] [--reps 2] [--address A] [--tiny]

Without --address it starts a local Ray head (127.0.0.1, 2 CPUs) in processes of its own, and
stops it at the end. Each run trains the same design with one torch thread, from this process,
through `start_run(design, workspace, RunOptions(executor=...))`, as the page does. Prints one JSON object:
- first_loss_s: start_run() to the first `step` event on this side (a cold worker each time)
- steps_per_s: training steps per second as the trainer measures them (its epochs' samples
  per second over the batch size, median over the epochs), on the worker's own CPU
- run_s: the training loop's own time (the `done` event), and connect_s: joining the cluster
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ray  # noqa: E402

from builder.design.presets import load_preset  # noqa: E402
from builder.runs.job import RunOptions  # noqa: E402
from builder.runs.launch import start_run  # noqa: E402
from builder.runs.ray_connect import connect  # noqa: E402
from builder.runs.ray_executor import RayExecutor  # noqa: E402
from tests.builder.ray_head import local_head  # noqa: E402


def one_run(design, executor, epochs: int) -> dict:
    with tempfile.TemporaryDirectory() as workspace:
        started = time.perf_counter()
        handle = start_run(
            design, workspace, RunOptions(epochs=epochs, step_every=1, threads=1, executor=executor)
        )
        first_loss, rates, done = None, [], None
        while done is None:
            for event in handle.poll():
                if event["type"] == "step" and first_loss is None:
                    first_loss = time.perf_counter() - started
                elif event["type"] == "epoch":
                    rates.append(event["samples_per_sec"])
                elif event["type"] in ("done", "error"):
                    done = event
            time.sleep(0.002)
        handle.wait(30)
    if done["type"] != "done" or first_loss is None or not rates:
        raise RuntimeError(f"the run did not train: {done}")
    return {
        "first_loss_s": round(first_loss, 3),
        "steps_per_s": round(statistics.median(rates) / design.training["batch_size"], 1),
        "run_s": round(done["seconds"], 3),
    }


def summary(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]} | {"runs": runs}


def bench(address: str, design_name: str, epochs: int, reps: int) -> dict:
    started = time.perf_counter()
    connect(address)
    connect_s = time.perf_counter() - started
    design = load_preset(design_name)
    local, remote = [], []
    for _ in range(reps):  # alternate, so a busy moment of the machine hits both alike
        local.append(one_run(design, "local", epochs))
        remote.append(one_run(design, RayExecutor(address), epochs))
    result = {
        "bench": "ray_executor",
        "design": design_name,
        "epochs": epochs,
        "connect_s": round(connect_s, 3),
        "local": summary(local),
        "ray": summary(remote),
    }
    result["ray_vs_local_steps_per_s"] = round(
        result["ray"]["steps_per_s"] / result["local"]["steps_per_s"], 3
    )
    result["ray_extra_first_loss_s"] = round(
        result["ray"]["first_loss_s"] - result["local"]["first_loss_s"], 3
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--design", default="lenet_digits")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--address", default=None, help="a running cluster (default: start one)")
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="every part at its smallest: the script runs, its figures mean nothing",
    )
    args = parser.parse_args()
    if args.tiny:
        args.design, args.epochs, args.reps = "mlp_moons", 1, 1
    try:
        if args.address:
            result = bench(args.address, args.design, args.epochs, args.reps)
        else:
            with local_head(cpus=2) as address:
                try:
                    result = bench(address, args.design, args.epochs, args.reps)
                finally:
                    ray.shutdown()
    finally:
        ray.shutdown()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
