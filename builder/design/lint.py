"""Graph lint before any shape or code: dangling edges, arity, cycles, reachability, one output."""

from __future__ import annotations

from builder.design.graph import Graph
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

    for source, target in graph.edges:
        missing = [end for end in (source, target) if end not in seen]
        if missing:
            anchor = source if source in seen else target if target in seen else None
            problem(
                anchor,
                f"edge {source!r} -> {target!r} points to a missing node {missing[0]!r}",
                "delete the edge",
            )
        elif source == target:
            problem(source, "is connected to itself", "delete the edge")

    inputs = graph.input_nodes
    if not inputs:
        problems.append(Problem("has no Input node", None, model, fix="add an Input node"))
    for extra in inputs[1:]:
        problem(extra, "a model takes one Input", "delete the extra Input or merge its branch")

    for node_id in graph.ids:
        kind = get_kind(types[node_id])
        if kind is None:
            continue
        count = len(graph.inputs_of(node_id))
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

    for loop in graph.cycles:
        problem(loop[0], f"is part of a cycle ({' -> '.join(loop)})", "remove one edge of the loop")
    cyclic = graph.cyclic

    if inputs:
        reachable = graph.descendants(inputs[0]) | {inputs[0]}
        for node_id in graph.ids:
            # A node with no inbound edge already has its arity problem; say it once.
            orphan = not graph.inputs_of(node_id)
            skip = types[node_id] == "Input" or node_id in cyclic or orphan
            if node_id not in reachable and not skip:
                problem(node_id, "is not reachable from the Input", "connect it, or delete it")

    sinks = graph.output_nodes
    if len(sinks) > 1:
        for sink in sinks[:-1]:
            others = [repr(s) for s in sinks if s != sink]
            shown = ", ".join(others[:3])  # bounded however many outputs there are
            if len(others) > 3:
                shown += f" and {len(others) - 3:,} more"
            problem(
                sink,
                f"is an output, but so is {shown}: a model has one output",
                "connect it onward, or delete it",
            )

    # Designer's node order breaks ties, so the generated forward reads like the canvas.
    return problems, graph.order
