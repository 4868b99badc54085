"""Plain functions between the design and the canvas: no Streamlit here, so they test fast.

The canvas reports structure and positions; Python owns params, shapes and problems and
sends them back with each rerun. Nothing about a layer kind or its group is written here (nor
in the canvas's frontend): it all comes from the registry (`builder.layer_kinds()`,
`layer_groups()`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import cache

from builder import Analysis, Design, Graph, Node, layer_kinds
from builder.introspect.flops import design_flops, fmt_flops
from builder.layers.registry import fmt_shape, layer_groups

X_STEP, Y_STEP = 220, 130
SUMMARY_ITEMS = 4
DIRECTIONS = ("TB", "LR")  # top to bottom, left to right
MIN_HEIGHT = 600  # the canvas fills the window below it, but is never shorter than this
BOTTOM_MARGIN = 16


@cache
def kinds_by_type() -> dict[str, dict]:
    return {k["type"]: k for k in layer_kinds()}


def palette() -> list[dict]:
    """What the canvas palette needs of each kind, in registry order."""
    return [
        {"type": k["type"], "group": k["group"], "help": k["help"], "inputs": k["inputs"]}
        for k in layer_kinds()
    ]


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def position(layout: dict, node_id: str) -> tuple[int, int] | None:
    """The stored [x, y] of a node, or None when the layout holds nothing usable for it."""
    value = layout.get(node_id)
    if isinstance(value, list | tuple) and len(value) == 2 and all(map(_is_number, value)):
        return round(value[0]), round(value[1])
    return None


def auto_positions(graph: Graph, direction: str = "TB") -> dict[str, list[int]]:
    """Layered layout: one row (TB) or column (LR) per depth, parents centred."""
    depths = graph.depths
    rows = [[n for n in graph.ids if depths[n] == d] for d in sorted(set(depths.values()))]
    order = {n: i for i, n in enumerate(graph.ids)}
    placed: dict[str, list[int]] = {}
    for r, row in enumerate(rows):

        def key(n):
            parents = [placed[p][0] for p in graph.inputs_of(n) if p in placed]
            return (sum(parents) / len(parents) if parents else 0.0, order[n])

        row.sort(key=key)
        for i, node_id in enumerate(row):
            placed[node_id] = [round((i - (len(row) - 1) / 2) * X_STEP), r * Y_STEP]
    if direction == "LR":  # generations go across; siblings stack downwards
        return {
            n: [round(y * X_STEP / Y_STEP), round(x * Y_STEP / X_STEP)]
            for n, (x, y) in placed.items()
        }
    return placed


def with_positions(design: Design, *, relayout: bool = False, direction: str = "TB") -> Design:
    """Give every node a position: all of them (relayout) or only those the layout lacks."""
    layout = dict(design.layout)
    for graph in design.models.values():
        missing = [n.id for n in graph.nodes if relayout or position(layout, n.id) is None]
        if missing:
            placed = auto_positions(graph, direction)
            for node_id in missing:
                layout[node_id] = placed[node_id]
    return design if layout == design.layout else replace(design, layout=layout)


def apply_canvas_graph(design: Design, model: str, payload) -> Design:
    """The design after the canvas's graph (nodes, positions, edges) replaces `model`'s wiring.

    Params of nodes that keep their id and type are kept; a pasted copy (its "from" names the
    node it copies, in any model) takes that node's params; other new nodes start from the
    registry defaults. Malformed entries (the payload comes from the browser) are skipped.
    """
    if model not in design.models or not isinstance(payload, dict):
        return design
    kinds = kinds_by_type()
    old = {n.id: n for n in design.models[model].nodes}
    everywhere = {n.id: n for g in design.models.values() for n in g.nodes}
    other_ids = {n.id for m, g in design.models.items() if m != model for n in g.nodes}
    layout = dict(design.layout)
    nodes: list[Node] = []
    seen: set[str] = set()
    raw_nodes = payload.get("nodes")
    for raw in raw_nodes if isinstance(raw_nodes, list) else []:
        if not isinstance(raw, dict):
            continue
        node_id, kind = raw.get("id"), raw.get("type")
        if not isinstance(node_id, str) or not node_id or node_id in seen or kind not in kinds:
            continue
        seen.add(node_id)
        prev = old.get(node_id)
        if prev is None and isinstance(raw.get("from"), str):
            prev = everywhere.get(raw["from"])
        nodes.append(Node(node_id, kind, dict(prev.params) if prev and prev.type == kind else {}))
        if _is_number(raw.get("x")) and _is_number(raw.get("y")):
            layout[node_id] = [round(raw["x"]), round(raw["y"])]
    for node_id in old.keys() - seen - other_ids:
        layout.pop(node_id, None)
    edges: list[tuple[str, str]] = []
    raw_edges = payload.get("edges")
    for raw in raw_edges if isinstance(raw_edges, list) else []:
        if (
            isinstance(raw, list | tuple)
            and len(raw) == 2
            and raw[0] in seen
            and raw[1] in seen
            and (raw[0], raw[1]) not in edges
        ):
            edges.append((raw[0], raw[1]))
    return replace(
        design, models={**design.models, model: Graph(nodes=nodes, edges=edges)}, layout=layout
    )


def summarize(kind: dict, params: dict) -> str:
    """Key params of a node: its first param and every one that differs from the default."""
    parts = []
    for i, p in enumerate(kind["params"]):
        value = params.get(p["name"], p["default"])
        if i and value == p["default"]:
            continue
        if p["name"] == "activation":
            if value != "none":
                parts.append(str(value))
        elif p["type"] == "shape":
            parts.append(f"{p['name']}={fmt_shape(value)}")
        else:
            parts.append(f"{p['name']}={value}")
    if len(parts) > SUMMARY_ITEMS:
        parts = parts[:SUMMARY_ITEMS] + ["…"]
    return ", ".join(parts)


def node_problems(analysis: Analysis, model: str) -> dict[str, list]:
    pinned: dict[str, list] = {}
    for problem in analysis.problems:
        if problem.model == model and problem.node_id is not None:
            pinned.setdefault(problem.node_id, []).append(problem)
    return pinned


def node_cost(flops: int | None, memory: int | None) -> str:
    """A node's forward FLOPs and activation memory per sample, as its foot shows them."""
    if flops is None or memory is None:
        return ""
    return f"{fmt_flops(flops)} · {memory / 1024:,.1f} KiB"


def canvas_data(
    design: Design,
    model: str,
    analysis: Analysis,
    *,
    rev: int,
    selected: str | None = None,
    fit: bool = False,
    fixes: list | None = None,
    direction: str = "TB",
) -> dict:
    """Everything the canvas shows for one model, computed by Python (JSON-ready).

    `fixes` (builder.design.fixes.Fix) become buttons on the nodes they are pinned to.
    """
    kinds = kinds_by_type()
    graph = design.models[model]
    shapes = analysis.shapes.get(model, {})
    counts = analysis.params.get(model, {})
    flops = design_flops(design, analysis).nodes.get(model, {})
    memory = analysis.memory.get(model, {})
    pinned = node_problems(analysis, model)
    fallback = auto_positions(graph, direction)
    node_fixes: dict[str, list[dict]] = {}
    for fix in fixes or []:
        if fix.model == model and fix.on_node is not None:
            node_fixes.setdefault(fix.on_node, []).append({"id": fix.id, "label": fix.label})
    nodes = []
    for node in graph.nodes:
        x, y = position(design.layout, node.id) or fallback[node.id]
        kind = kinds.get(node.type)
        problems = pinned.get(node.id, [])
        shape = shapes.get(node.id)
        count = counts.get(node.id, 0)
        nodes.append(
            {
                "id": node.id,
                "type": node.type,
                "x": x,
                "y": y,
                "summary": summarize(kind, node.params) if kind else "",
                "shape": fmt_shape(shape) if shape is not None else None,
                "params": f"{count:,} params" if count else "",
                "cost": node_cost(flops.get(node.id), memory.get(node.id)),
                "error": "; ".join(p.message for p in problems) or None,
                "fix": "; ".join(p.fix for p in problems if p.fix) or None,
                "fixes": node_fixes.get(node.id, []) if problems else [],
            }
        )
    other_ids = sorted({n.id for m, g in design.models.items() if m != model for n in g.nodes})
    return {
        "rev": rev,
        "fit": fit,
        "min_height": MIN_HEIGHT,
        "bottom_margin": BOTTOM_MARGIN,
        "direction": direction if direction in DIRECTIONS else "TB",
        "selected": selected if graph.node(selected or "") else None,
        "kinds": palette(),
        "groups": layer_groups(),  # each group's colour and icon, as the registry declares them
        "other_ids": other_ids,
        "graph": {"nodes": nodes, "edges": [[s, t] for s, t in graph.edges]},
    }
