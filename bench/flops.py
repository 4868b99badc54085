"""FLOPs pass time, printed as JSON lines.

A 1,000-node design (Conv2d, Dense, LSTM and attention layers of many sizes, so the cache of
per-layer counts helps little), timed against the shape pass it rides on: the first count in a
process (which pays for torch's FlopCounterMode warming up), a count with every layer new, and a
count of the same design again (cached per layer, as the page's reruns are).

    python bench/flops.py [--nodes 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from builder.design.shapes import analyze
from builder.design.spec import load_design
from builder.introspect import flops
from builder.introspect.flops import design_flops


def mixed_design(n: int, salt: int = 0) -> dict:
    """Four chains off one Input each kind of layer can read; widths vary so counts rarely repeat."""
    nodes = [{"id": "in", "type": "Input", "params": {"shape": [8, 16]}}]
    edges = []
    last = "in"
    for i in range(n - 1):
        width = 8 + (i * 7 + salt) % 57
        kind = i % 4
        if kind == 0:
            node = {"type": "LSTM", "params": {"hidden_size": width}}
        elif kind == 1:
            node = {"type": "Dense", "params": {"out_features": 16}}
        elif kind == 2:
            node = {"type": "MultiheadAttention", "params": {"num_heads": 4}}
        else:
            node = {
                "type": "Conv1d",
                "params": {"out_channels": 16, "kernel_size": 3, "padding": 1},
            }
        node["id"] = f"n{i}"
        nodes.append(node)
        edges.append([last, node["id"]])
        last = node["id"]
    return {
        "version": 1,
        "name": f"mixed{n}",
        "models": {"model": {"nodes": nodes, "edges": edges}},
    }


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tiny", action="store_true", help="50 nodes, once: it runs")
    args = parser.parse_args()
    if args.tiny:
        args.nodes, args.repeats = 50, 1
    design = load_design(mixed_design(args.nodes))
    analysis = analyze(design)
    assert not analysis.problems, analysis.problems[:3]
    first = seconds(lambda: design_flops(design, analysis))
    shape_pass, cold, warm = [], [], []
    for salt in range(1, args.repeats + 1):
        fresh = load_design(mixed_design(args.nodes, salt))
        shape_pass.append(seconds(lambda d=fresh: analyze(d)))
        result = analyze(fresh)
        flops._counted.cache_clear()
        cold.append(seconds(lambda d=fresh, r=result: design_flops(d, r)))
        warm.append(seconds(lambda d=fresh, r=result: design_flops(d, r)))
    print(
        json.dumps(
            {
                "bench": "flops_pass",
                "nodes": args.nodes,
                "first_in_process_s": round(first, 3),
                "shape_pass_s": round(statistics.median(shape_pass), 4),
                "flops_new_layers_s": round(statistics.median(cold), 4),
                "flops_cached_s": round(statistics.median(warm), 4),
                "total_flops": design_flops(design, analysis).total,
            }
        )
    )


if __name__ == "__main__":
    main()
