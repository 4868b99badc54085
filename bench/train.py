"""Training benchmarks: accuracy targets, CLI vs a hand-written script, event-stream overhead.

    python bench/train.py [--reps 3] [--device cpu|cuda] [--only NAME ...] [--tiny]

Prints one JSON object per line. Targets (from the training engine's issue):
- lenet_digits: best val accuracy >= 0.97 within 30 epochs and >= 0.95 at the end
- lstm_sine: val MSE <= 0.03 within 20 epochs
- gru_waves: val accuracy >= 0.90 within 8 epochs
- loop_vs_handwritten: the generated train.py's loop, per step, <= 1.05x a hand-written loop
  over the same model, data, optimizer and batches, in this process
- cli_vs_handwritten: `python -m builder train` wall time <= 1.2x a hand-written script
- event_overhead: the event stream costs <= 5% against the same loop emitting nothing
- stop_latency: a run in its own process ends within 2 s of stop()
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from builder.codegen.program import training_program  # noqa: E402
from builder.design.presets import load_preset  # noqa: E402
from builder.runs.store import RunStore  # noqa: E402
from builder.training.control import RunControl  # noqa: E402
from builder.training.runner import run_loop, train_loop  # noqa: E402

HANDWRITTEN = """
import json, sys, time
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

start = time.perf_counter()
epochs, out = int(sys.argv[1]), sys.argv[2]
torch.manual_seed(0)
digits = load_digits()
x = (digits.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
y = digits.target.astype(np.int64)
xt, xv, yt, yv = train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
xt, xv, yt, yv = map(torch.from_numpy, (xt, xv, yt, yv))
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.25), nn.Linear(64, 10),
)
opt = torch.optim.Adam(model.parameters(), lr=0.002)
log = open(out + "/metrics.jsonl", "w")
for epoch in range(1, epochs + 1):
    model.train()
    perm = torch.randperm(len(xt))
    total = 0.0
    for i in range(0, len(xt), 64):
        idx = perm[i:i + 64]
        loss = F.cross_entropy(model(xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    model.eval()
    with torch.no_grad():
        out_v = model(xv)
        val_loss = F.cross_entropy(out_v, yv).item()
        acc = (out_v.argmax(1) == yv).float().mean().item()
    row = {"epoch": epoch, "train_loss": total / len(xt), "val_loss": val_loss, "val_accuracy": acc}
    log.write(json.dumps(row) + "\\n")
    print(f"epoch {epoch}/{epochs} val_accuracy {acc:.4f}", file=sys.stderr)
torch.save(model.state_dict(), out + "/weights.pt")
print(json.dumps({**row, "epochs": epochs, "seconds": time.perf_counter() - start}))
"""


def emit(**row) -> None:
    print(json.dumps(row), flush=True)


def train_preset(name, epochs, device=None, seed=None, sinks=(), step_every=10):
    events = []
    control = RunControl([*sinks, events.append], step_every=step_every)
    design = load_preset(name).with_training(epochs=epochs)
    run_loop(train_loop, design, control, device=device, seed=seed)
    if events[-1]["type"] != "done":
        raise SystemExit(f"{name}: {events[-1].get('message')}")
    return [e for e in events if e["type"] == "epoch"], events[-1]


def bench_lenet(device, seeds=(0, 1, 2), epochs_run=30):
    for seed in seeds:
        epochs, done = train_preset("lenet_digits", epochs_run, device, seed)
        accs = [e["val_accuracy"] for e in epochs]
        best, final = max(accs), accs[-1]
        emit(
            bench="lenet_digits",
            seed=seed,
            epochs=epochs_run,
            best_val_accuracy=round(best, 4),
            best_epoch=accs.index(best) + 1,
            final_val_accuracy=round(final, 4),
            first_epoch_at_97=next((i + 1 for i, a in enumerate(accs) if a >= 0.97), None),
            seconds=round(done["seconds"], 2),
            ok=best >= 0.97 and final >= 0.95,
        )


def bench_lstm(device, seeds=(0, 1), epochs_run=20):
    for seed in seeds:
        epochs, done = train_preset("lstm_sine", epochs_run, device, seed)
        mse = [e["val_loss"] for e in epochs]
        emit(
            bench="lstm_sine",
            seed=seed,
            epochs=epochs_run,
            final_val_mse=round(mse[-1], 5),
            best_val_mse=round(min(mse), 5),
            seconds=round(done["seconds"], 2),
            ok=min(mse) <= 0.03 and mse[-1] <= 0.03,
        )


def bench_gru(device, seeds=(0, 1), epochs_run=8):
    for seed in seeds:
        epochs, done = train_preset("gru_waves", epochs_run, device, seed)
        accs = [e["val_accuracy"] for e in epochs]
        emit(
            bench="gru_waves",
            seed=seed,
            epochs=epochs_run,
            best_val_accuracy=round(max(accs), 4),
            final_val_accuracy=round(accs[-1], 4),
            seconds=round(done["seconds"], 2),
            ok=accs[-1] >= 0.90,
        )


def bench_cli(reps, epochs=30):
    tmp = Path(tempfile.mkdtemp())
    design = tmp / "lenet.json"
    design.write_text(load_preset("lenet_digits").to_json())
    script = tmp / "handwritten.py"
    script.write_text(HANDWRITTEN)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = {"builder_train": [], "handwritten": []}
    finals = {}
    for rep in range(reps):
        for name in ("handwritten", "builder_train"):
            out = tmp / f"{name}{rep}"
            out.mkdir()
            if name == "handwritten":
                cmd = [sys.executable, str(script), str(epochs), str(out)]
            else:
                cmd = [sys.executable, "-m", "builder", "train", str(design), "--epochs"]
                cmd += [str(epochs), "--out", str(out), "--workspace", str(tmp / "ws"), "--quiet"]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp)
            times[name].append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise SystemExit(f"{name} failed: {proc.stderr[-2000:]}")
            finals[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    med = {k: statistics.median(v) for k, v in times.items()}
    emit(
        bench="cli_vs_handwritten",
        epochs=epochs,
        reps=reps,
        builder_train_s=round(med["builder_train"], 2),
        handwritten_s=round(med["handwritten"], 2),
        all_s={k: [round(t, 2) for t in v] for k, v in times.items()},
        ratio=round(med["builder_train"] / med["handwritten"], 3),
        builder_val_accuracy=round(finals["builder_train"]["val_accuracy"], 4),
        handwritten_val_accuracy=round(finals["handwritten"]["val_accuracy"], 4),
        ok=med["builder_train"] <= 1.2 * med["handwritten"],
    )


class NoHooks:
    """Hooks that do nothing: the generated loop alone."""

    step_every = 10**9
    stopped = False

    def emit(self, event, /, **fields):
        pass

    def checkpoint(self):
        return True

    def epoch_weights(self, weights):
        pass


def handwritten_epochs(program, data, epochs, seed):
    """The loop a person writes for the same model, data, optimizer and batch size."""
    torch.manual_seed(seed)
    model = program.Model()
    optimizer = torch.optim.Adam(model.parameters(), lr=program.LR)
    xt, yt = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"])
    xv, yv = torch.from_numpy(data["x_val"]), torch.from_numpy(data["y_val"])
    shuffle = torch.Generator().manual_seed(seed)
    bs = program.BATCH_SIZE
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=shuffle)
        total = 0.0
        for i in range(0, len(xt), bs):
            idx = perm[i : i + bs]
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            out = model(xv)
            F.cross_entropy(out, yv).item()
            (out.argmax(1) == yv).float().mean().item()


def bench_loop(reps, epochs=5, threads=1):
    """Per-step time of the generated loop against the hand-written one, interleaved."""
    torch.set_num_threads(threads)
    program = training_program(load_preset("lenet_digits"))
    data = program.load_data(program.DATA, 0)
    steps = epochs * -(-len(data["x_train"]) // program.BATCH_SIZE)
    program.train(NoHooks(), data, epochs=1)  # warm up both
    handwritten_epochs(program, data, 1, 0)
    times = {"generated": [], "handwritten": []}
    for _ in range(max(reps, 5)):
        t0 = time.perf_counter()
        program.train(NoHooks(), data, epochs=epochs)
        times["generated"].append((time.perf_counter() - t0) / steps)
        t0 = time.perf_counter()
        handwritten_epochs(program, data, epochs, 0)
        times["handwritten"].append((time.perf_counter() - t0) / steps)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["generated"] / med["handwritten"]
    emit(
        bench="loop_vs_handwritten",
        preset="lenet_digits",
        threads=threads,
        epochs=epochs,
        generated_ms_per_step=round(med["generated"] * 1e3, 3),
        handwritten_ms_per_step=round(med["handwritten"] * 1e3, 3),
        all_ms={k: [round(t * 1e3, 3) for t in v] for k, v in times.items()},
        ratio=round(ratio, 3),
        ok=ratio <= 1.05,
    )


def bench_events(device, reps, epochs=10):
    """The same trainer with its event stream going nowhere vs to a queue, the store and a file."""
    import queue

    tmp = Path(tempfile.mkdtemp())
    store = RunStore(tmp)
    design = load_preset("lenet_digits")
    train_preset("lenet_digits", 1, device)  # warm up
    times = {"bare": [], "events": []}
    for _ in range(reps):
        for mode in ("bare", "events"):
            if mode == "bare":
                sinks, every = (), 10**9
            else:
                q = queue.Queue()
                handle = (tmp / "metrics.jsonl").open("w")

                def write(e, handle=handle):
                    if e["type"] == "epoch":
                        handle.write(json.dumps({k: v for k, v in e.items() if k != "confusion"}))

                sinks, every = (q.put, store.sink(store.create_run(design)), write), 10
            t0 = time.perf_counter()
            train_preset("lenet_digits", epochs, device, sinks=sinks, step_every=every)
            times[mode].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    overhead = med["events"] / med["bare"] - 1
    emit(
        bench="event_overhead",
        epochs=epochs,
        reps=reps,
        bare_s=round(med["bare"], 3),
        events_s=round(med["events"], 3),
        all_s={k: [round(t, 3) for t in v] for k, v in times.items()},
        overhead=round(overhead, 4),
        ok=overhead <= 0.05,
    )


def bench_stop(reps):
    from builder.runs.job import RunOptions
    from builder.runs.launch import start_run

    tmp = Path(tempfile.mkdtemp())
    stops, pauses = [], []
    for _ in range(reps):
        handle = start_run(load_preset("lenet_digits"), tmp, RunOptions(epochs=1000, threads=1))
        while not any(e["type"] == "epoch" for e in handle.poll()):
            time.sleep(0.01)
        t0 = time.perf_counter()
        handle.pause()
        while not any(e.get("status") == "paused" for e in handle.poll()):
            time.sleep(0.002)
        pauses.append(time.perf_counter() - t0)
        handle.resume()
        t0 = time.perf_counter()
        handle.stop()
        stops.append(time.perf_counter() - t0)
    emit(
        bench="stop_latency",
        reps=reps,
        pause_s=[round(t, 3) for t in pauses],
        stop_s=[round(t, 3) for t in stops],
        ok=max(stops) <= 2.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--device", default=None)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="every part at its smallest: the script runs, its figures mean nothing",
    )
    args = parser.parse_args()
    if args.tiny:
        args.reps, args.seeds = 1, [0]

    def epochs(full: int) -> int:
        return 1 if args.tiny else full

    emit(
        bench="environment",
        torch=torch.__version__,
        device=args.device or ("cuda" if torch.cuda.is_available() else "cpu"),
        threads=torch.get_num_threads(),
        cpus=os.cpu_count(),
    )
    benches = {
        "lenet": lambda: bench_lenet(args.device, args.seeds, epochs(30)),
        "lstm": lambda: bench_lstm(args.device, args.seeds[:2], epochs(20)),
        "gru": lambda: bench_gru(args.device, args.seeds[:2], epochs(8)),
        "events": lambda: bench_events(
            args.device, 1 if args.tiny else max(args.reps, 3), epochs(10)
        ),
        "loop": lambda: bench_loop(args.reps, epochs(5)),
        "cli": lambda: bench_cli(args.reps, epochs(30)),
        "stop": lambda: bench_stop(args.reps),
    }
    for name, run in benches.items():
        if args.only is None or name in args.only:
            run()


if __name__ == "__main__":
    main()
