"""Small builders of design dicts for tests, and a runner for exported training scripts."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from builder.layers.registry import get_kind


def chain_design(*layers, name="test", training=None):
    """A one-model design whose nodes (id, type, params) are wired in a chain."""
    nodes = [{"id": i, "type": t, "params": p} for i, t, p in layers]
    edges = [[a[0], b[0]] for a, b in zip(layers, layers[1:], strict=False)]
    return {
        "version": 1,
        "name": name,
        "models": {"model": {"nodes": nodes, "edges": edges}},
        "training": training or {},
        "layout": {},
    }


def graph_design(nodes, edges, name="test"):
    return {
        "version": 1,
        "name": name,
        "models": {
            "model": {
                "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
                "edges": [list(e) for e in edges],
            }
        },
        "training": {},
        "layout": {},
    }


def run_exported_train(folder: Path, epochs: int = 1) -> list[dict]:
    """Run the exported `train.py` in `folder` as a user would; its metrics rows, one per epoch."""
    result = subprocess.run(
        [sys.executable, "train.py", "--epochs", str(epochs), "--out", "out"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = (Path(folder) / "out" / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


CANDIDATE_INPUTS = ([3, 12, 12], [10, 6], [4, 8], [24], [2, 5, 7])


def random_params(kind, rng: random.Random) -> dict:
    """Random values within each param's bounds, kept small so the test stays fast."""
    params = {}
    for p in kind.all_params:
        if p.name == "shape":
            continue  # the input's shape and Reshape's target are chosen by the test
        if p.type == "bool":
            params[p.name] = rng.random() < 0.5
        elif p.type == "choice":
            params[p.name] = rng.choice(p.choices)
        elif p.type == "int":
            lo = int(p.min if p.min is not None else 0)
            params[p.name] = rng.randint(lo, min(int(p.max), lo + 4))
            if p.nullable and rng.random() < 0.3:
                params[p.name] = None
        elif p.type == "float":
            lo = p.min if p.min is not None else 0.0
            hi = min(p.max, lo + 3)
            value = rng.uniform(lo, hi)
            params[p.name] = round(min(value, hi * 0.99) if p.max_exclusive else value, 3)
    return params


def single_layer_design(type_name: str, params: dict, input_shape: list[int]) -> dict:
    kind = get_kind(type_name)
    if type_name == "Input":
        return graph_design([("in", "Input", {"shape": input_shape})], [])
    if type_name == "Reshape":
        params = {**params, "shape": [-1, input_shape[-1]]}
    nodes = [("in", "Input", {"shape": input_shape}), ("layer", type_name, params)]
    edges = [("in", "layer"), ("in", "layer")] if kind.inputs == "many" else [("in", "layer")]
    return graph_design(nodes, edges)
