"""The edits a fix makes to a design: a fresh node id, a node put on an edge, a param set."""

from __future__ import annotations

from dataclasses import replace

from builder.design.spec import Design, Graph, Node


def fresh_id(design: Design, base: str) -> str:
    """`base1`, `base2`, ...: the first id no model of the design uses."""
    taken = {n.id for g in design.models.values() for n in g.nodes}
    i = 1
    while f"{base}{i}" in taken:
        i += 1
    return f"{base}{i}"


def position_of(design: Design, node_id: str) -> tuple[float, float]:
    """Where the node sits on the canvas ((0, 0) when the layout does not say)."""
    value = design.layout.get(node_id)
    if isinstance(value, list | tuple) and len(value) == 2:
        return float(value[0]), float(value[1])
    return 0.0, 0.0


def _between(design: Design, a: str, b: str) -> list[int]:
    (ax, ay), (bx, by) = position_of(design, a), position_of(design, b)
    return [round((ax + bx) / 2), round((ay + by) / 2)]


def insert_between(design: Design, model: str, source: str, target: str, node: Node) -> Design:
    """`node` put on the edge source -> target (the edge keeps its place among target's inputs)."""
    graph = design.models[model]
    edges = []
    for edge in graph.edges:
        if edge == (source, target):
            edges += [(source, node.id), (node.id, target)]
        else:
            edges.append(edge)
    nodes = list(graph.nodes)
    nodes.insert(next(i for i, n in enumerate(nodes) if n.id == target), node)
    layout = {**design.layout, node.id: _between(design, source, target)}
    return replace(design.with_model(model, Graph(nodes, edges)), layout=layout)


def set_param(design: Design, model: str, node_id: str, **params) -> Design:
    graph = design.models[model]
    nodes = [
        replace(n, params={**n.params, **params}) if n.id == node_id else n for n in graph.nodes
    ]
    return design.with_model(model, Graph(nodes, list(graph.edges)))
