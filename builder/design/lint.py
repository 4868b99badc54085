"""Graph lint before any shape or code: dangling edges, arity, cycles, reachability, one output."""

from __future__ import annotations

import heapq

import networkx as nx

from builder.design.spec import Graph
from builder.errors import Problem
from builder.layers.registry import get_kind


def lint_graph(model: str, graph: Graph) -> tuple[list[Problem], list[str]]:
    """Problems of the wiring, and a topological order of the nodes that can be evaluated."""
    problems: list[Problem] = []
    ids = [n.id for n in graph.nodes]
    types = {n.id: n.type for n in graph.nodes}

    def problem(node_id, message, fix=None):
        problems.append(Problem(message, node_id, model, types.get(node_id), fix))

    seen: set[str] = set()
    for node_id in ids:
        if node_id in seen:
            problem(node_id, "id is used by more than one node", "give each node its own id")
        seen.add(node_id)

    g = nx.MultiDiGraph()
    g.add_nodes_from(ids)
    for source, target in graph.edges:
        missing = [end for end in (source, target) if end not in seen]
        if missing:
            anchor = source if source in seen else target if target in seen else None
            problem(
                anchor,
                f"edge {source!r} -> {target!r} points to a missing node {missing[0]!r}",
                "delete the edge",
            )
            continue
        if source == target:
            problem(source, "is connected to itself", "delete the edge")
            continue
        g.add_edge(source, target)

    inputs = [i for i in ids if types[i] == "Input"]
    if not inputs:
        problems.append(Problem("has no Input node", None, model, fix="add an Input node"))
    for extra in inputs[1:]:
        problem(extra, "a model takes one Input", "delete the extra Input or merge its branch")

    for node_id in seen:
        kind = get_kind(types[node_id])
        if kind is None:
            continue
        count = g.in_degree(node_id)
        if kind.inputs == "none" and count:
            problem(node_id, f"an Input takes no inbound edges, got {count}", "delete those edges")
        elif kind.inputs == "one" and count != 1:
            fix = (
                "connect one layer into it"
                if count == 0
                else "merge the branches with Add or Concat first"
            )
            problem(node_id, f"takes exactly 1 inbound edge, got {count}", fix)
        elif kind.inputs == "many" and count < 2:
            problem(
                node_id, f"merges 2 or more inbound edges, got {count}", "connect another branch"
            )

    cyclic: set[str] = set()
    # Only nodes a topological sort cannot reach can be on a cycle; search just those.
    stuck = set(g) - set(_ordered(g, ids, set()))
    for component in nx.strongly_connected_components(g.subgraph(stuck)):
        if len(component) > 1:
            cyclic |= component
            first = sorted(component, key=ids.index)[0]
            loop = " -> ".join(sorted(component, key=ids.index))
            problem(first, f"is part of a cycle ({loop})", "remove one edge of the loop")

    if inputs:
        reachable = set(nx.descendants(g, inputs[0])) | {inputs[0]}
        for node_id in ids:
            # A node with no inbound edge already has its arity problem; say it once.
            orphan = g.in_degree(node_id) == 0
            skip = types[node_id] == "Input" or node_id in cyclic or orphan
            if node_id not in reachable and not skip:
                problem(node_id, "is not reachable from the Input", "connect it, or delete it")

    sinks = [i for i in seen if g.out_degree(i) == 0 and i in g and g.in_degree(i) > 0]
    sinks.sort(key=ids.index)
    if len(sinks) > 1:
        for sink in sinks[:-1]:
            others = [repr(s) for s in sinks if s != sink]
            shown = ", ".join(others[:3])  # bounded however many outputs there are
            if len(others) > 3:
                shown += f" and {len(others) - 3:,} more"
            others = shown
            problem(
                sink,
                f"is an output, but so is {others}: a model has one output",
                "connect it onward, or delete it",
            )

    # Designer's node order breaks ties, so the generated forward reads like the canvas.
    return problems, _ordered(g, ids, cyclic)


def _ordered(g: nx.MultiDiGraph, ids: list[str], skip: set[str]) -> list[str]:
    """Kahn's topological sort over the nodes not in `skip`, earliest-listed ready node first."""
    position = {node_id: i for i, node_id in enumerate(ids)}
    waiting = {n: sum(1 for s, _ in g.in_edges(n) if s not in skip) for n in g if n not in skip}
    ready = [position[n] for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node_id = ids[heapq.heappop(ready)]
        order.append(node_id)
        for _, target in g.out_edges(node_id):
            if target in waiting:
                waiting[target] -= 1
                if waiting[target] == 0:
                    heapq.heappush(ready, position[target])
    return order
