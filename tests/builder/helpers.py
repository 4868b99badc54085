"""Small builders of design dicts for tests."""

from __future__ import annotations


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
