"""Foundation benchmarks, printed as JSON lines.

1. Lint + shape inference + build for chain designs of 10, 100 and 1,000 nodes (should grow ~linearly;
   100 nodes under 100 ms).
2. Train-step time of the compiled LeNet preset against the same network written by hand, in one
   process, interleaved so machine noise hits both alike (target ratio <= 1.03).

    python bench/compile.py [--tiny]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn

import builder
from builder.design.presets import load_preset


def chain(n: int) -> dict:
    nodes = [{"id": "in", "type": "Input", "params": {"shape": [16]}}]
    nodes += [
        {"id": f"d{i}", "type": "Dense", "params": {"out_features": 16, "activation": "relu"}}
        for i in range(n - 1)
    ]
    edges = [[a["id"], b["id"]] for a, b in zip(nodes, nodes[1:], strict=False)]
    return {
        "version": 1,
        "name": f"chain{n}",
        "models": {"model": {"nodes": nodes, "edges": edges}},
    }


def time_pipeline(n: int, repeats: int) -> dict:
    design = chain(n)
    phases = {"analyze": [], "build": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        builder.infer_shapes(design)
        t1 = time.perf_counter()
        builder.build_model(design)
        t2 = time.perf_counter()
        phases["analyze"].append(t1 - t0)
        phases["build"].append(t2 - t1)
    analyze_ms = statistics.median(phases["analyze"]) * 1000
    build_ms = statistics.median(phases["build"]) * 1000
    return {
        "bench": "lint_infer_build",
        "nodes": n,
        "lint_and_infer_ms": round(analyze_ms, 2),
        "build_ms": round(build_ms, 2),
        "total_ms": round(analyze_ms + build_ms, 2),
    }


def hand_lenet() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.25), nn.Linear(64, 10),
    )  # fmt: skip


def step_time(model: nn.Module, x, y, steps: int) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()
    return (time.perf_counter() - start) / steps


def time_train_step(rounds: int = 15, steps: int = 40, warmup: int = 20) -> dict:
    torch.manual_seed(0)
    x, y = torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,))
    compiled, hand = builder.build_model(load_preset("lenet_digits")), hand_lenet()
    step_time(compiled, x, y, warmup), step_time(hand, x, y, warmup)
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(step_time(compiled, x, y, steps))
        theirs.append(step_time(hand, x, y, steps))
    ratio = statistics.median(o / t for o, t in zip(ours, theirs, strict=True))
    return {
        "bench": "train_step_compiled_vs_hand",
        "compiled_ms": round(statistics.median(ours) * 1000, 3),
        "hand_ms": round(statistics.median(theirs) * 1000, 3),
        "ratio": round(ratio, 3),
        "target": 1.03,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="every part at its smallest: the script runs, its figures mean nothing",
    )
    args = parser.parse_args()
    sizes = ((10, 2), (20, 1), (40, 1)) if args.tiny else ((10, 30), (100, 15), (1000, 5))
    rows = [time_pipeline(n, repeats) for n, repeats in sizes]
    for row in rows:
        print(json.dumps(row), flush=True)
    growth = rows[2]["total_ms"] / rows[1]["total_ms"]
    smaller, larger = rows[1]["nodes"], rows[2]["nodes"]
    print(json.dumps({"bench": f"scaling_{smaller}_to_{larger}", "ratio": round(growth, 2),
                      "linear_is": larger // smaller}))  # fmt: skip
    step = time_train_step(rounds=1, steps=1, warmup=1) if args.tiny else time_train_step()
    print(json.dumps(step), flush=True)


if __name__ == "__main__":
    main()
