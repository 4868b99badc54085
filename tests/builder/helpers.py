"""Small builders of design dicts for tests, and a runner for exported training scripts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


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
