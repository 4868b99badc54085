"""One-click fixes: for each problem with a mechanical answer, the edit that answers it (the
edits themselves are in edits.py, the fixes the data set decides in data_fixes.py).

Fixes are found from the design's structure and inferred shapes (never by reading the text of a
message), so a message can be reworded without breaking its fix. `find_fixes` lists what can be
done; `apply_fix` turns a fix id back into the new design, found again from the design it is
applied to, so a stale button cannot apply an edit meant for an older design. The result is a
plain Design: the page commits it like any edit and checks it like any design.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from builder.design.data_fixes import classes_fix, input_shape_fix, vocab_fixes
from builder.design.edits import fresh_id, insert_between, position_of, set_param
from builder.design.health_fixes import alert_fix_items, apply_health_fix
from builder.design.shapes import Analysis, analyze
from builder.design.spec import Design, Graph, Node
from builder.errors import ShapeError
from builder.layers.registry import fmt_shape, get_kind

IMAGE_RANK = 3
OFFSET = 90  # how far a node a fix inserts sits from its neighbours (canvas pixels)


@dataclass(frozen=True)
class Fix:
    """One edit that answers one problem; `id` is what the page's button sends back.

    `node_id` is the node the problem is pinned to (None: the model's); `on_node` is the node
    whose canvas button offers the fix (for a missing Input: the layer it will feed).
    """

    id: str
    model: str
    node_id: str | None
    label: str
    design: Design
    on_node: str | None = None


def _accepts(kind, shape, params) -> bool:
    """Whether the kind's own shape rule takes an input of `shape` (nothing is built)."""
    try:
        kind.shape([tuple(shape)], params)
    except ShapeError:
        return False
    return True


def _square_image(size: int) -> list[int] | None:
    """[1, s, s] when `size` values make one square channel, else None (no obvious shape)."""
    side = math.isqrt(size)
    return [1, side, side] if side * side == size and side > 1 else None


def _rank_fixes(design, model, node, shapes):
    """A layer fed the wrong rank: Flatten an image for a layer that takes vectors, or Reshape
    a square-sized vector to one channel for a layer that takes images. Offered only when the
    layer's own shape rule refuses what it gets and takes what the fix gives it."""
    kind = get_kind(node.type)
    sources = design.models[model].inputs_of(node.id)
    if kind is None or kind.inputs != "one" or len(sources) != 1:
        return []
    shape = shapes.get(sources[0])
    params = kind.resolve(node.params)
    if shape is None or _accepts(kind, shape, params):
        return []
    source = sources[0]
    if len(shape) == IMAGE_RANK and _accepts(kind, [math.prod(shape)], params):
        flat = Node(fresh_id(design, "flatten"), "Flatten", {})
        label = f"Insert Flatten before {node.id} ({fmt_shape(shape)} → [{math.prod(shape)}])"
        return [(f"flatten:{node.id}", label, insert_between(design, model, source, node.id, flat))]
    image = _square_image(shape[0]) if len(shape) == 1 else None
    if image and _accepts(kind, image, params):
        reshape = Node(fresh_id(design, "reshape"), "Reshape", {"shape": image})
        label = f"Insert Reshape before {node.id} ({fmt_shape(shape)} → {fmt_shape(image)})"
        fixed = insert_between(design, model, source, node.id, reshape)
        return [(f"reshape:{node.id}", label, fixed)]
    return []


def _stride_to(size: int, target: int) -> int | None:
    """The stride of a 1x1 window that takes `size` to `target`, or None when none does."""
    for stride in range(1, 17):
        if (size - 1) // stride + 1 == target:
            return stride
    return None


def _projection(design, shape, goal) -> Node | None:
    if len(shape) == IMAGE_RANK and len(goal) == IMAGE_RANK:
        strides = [_stride_to(s, g) for s, g in zip(shape[1:], goal[1:], strict=True)]
        if None in strides or strides[0] != strides[1]:
            return None
        params = {"out_channels": goal[0], "kernel_size": 1, "stride": strides[0]}
        return Node(fresh_id(design, "proj"), "Conv2d", params)
    if len(shape) == len(goal) and shape[:-1] == goal[:-1] and len(shape) in (1, 2):
        return Node(fresh_id(design, "proj"), "Dense", {"out_features": goal[-1]})
    return None


def _add_fixes(design, model, node, shapes):
    """An Add whose inputs differ: project every branch onto the deepest branch's shape."""
    graph = design.models[model]
    sources = graph.inputs_of(node.id)
    if node.type != "Add" or len(sources) < 2 or any(s not in shapes for s in sources):
        return []
    if len({tuple(shapes[s]) for s in sources}) < 2:
        return []
    depth = graph.depths
    main = max(sources, key=lambda s: (depth[s], -sources.index(s)))
    goal = shapes[main]
    fixed = design
    for source in sources:
        if tuple(shapes[source]) == tuple(goal):
            continue
        proj = _projection(fixed, shapes[source], goal)
        if proj is None:
            return []
        fixed = insert_between(fixed, model, source, node.id, proj)
    kind = "1×1 Conv2d" if len(goal) == IMAGE_RANK else "Dense"
    return [
        (f"project:{node.id}", f"Project the other branches to {fmt_shape(goal)} ({kind})", fixed)
    ]


def _window(params: dict, kind) -> tuple[int, int, int, int]:
    p = kind.resolve(params)
    return p["kernel_size"], p.get("padding", 0), p.get("dilation", 1), p.get("stride", 1) or 1


def _kernel_fixes(design, model, node, shapes):
    """A window larger than its (padded) input: add padding (Conv2d), or lower the kernel."""
    kind = get_kind(node.type)
    sources = design.models[model].inputs_of(node.id)
    if node.type not in ("Conv2d", "MaxPool2d", "AvgPool2d") or len(sources) != 1:
        return []
    shape = shapes.get(sources[0])
    if shape is None or len(shape) != IMAGE_RANK:
        return []
    size = min(shape[1:])
    kernel, padding, dilation, _ = _window(node.params, kind)
    span = dilation * (kernel - 1) + 1
    if size + 2 * padding >= span:
        return []
    found = []
    if node.type == "Conv2d":
        pad = math.ceil((span - size) / 2)
        if pad <= kind.param("padding").max:
            found.append(
                (
                    f"pad:{node.id}",
                    f"Set padding to {pad}",
                    set_param(design, model, node.id, padding=pad),
                )
            )
    fits = (size + 2 * padding - 1) // dilation + 1
    if node.type != "Conv2d":
        fits = min(fits, size)  # a pool's padding may be at most half its kernel
        padding = min(padding, fits // 2)
    changes = (
        {"kernel_size": fits}
        if node.type == "Conv2d"
        else {"kernel_size": fits, "padding": padding}
    )
    found.append(
        (
            f"kernel:{node.id}",
            f"Lower kernel_size to {fits}",
            set_param(design, model, node.id, **changes),
        )
    )
    return found


def _connect_fixes(design, model, node, shapes):
    """A layer that takes one input and has none: feed it the model's current output."""
    kind = get_kind(node.type)
    graph = design.models[model]
    if kind is None or kind.inputs == "none" or graph.inputs_of(node.id):
        return []
    below = graph.descendants(node.id) | {node.id}
    outs = [n for n in graph.ids if n not in below and n in shapes and not graph.users_of(n)]
    if not outs:
        return []
    x, y = position_of(design, node.id)
    source = min(outs, key=lambda n: (math.dist(position_of(design, n), (x, y)), n))
    edges = [*graph.edges, (source, node.id)]
    fixed = design.with_model(model, Graph(list(graph.nodes), edges))
    return [(f"connect:{node.id}", f"Connect {source} → {node.id}", fixed)]


def _input_fix(design, model, input_shape):
    """No Input: add one, shaped like the data, feeding the first layer nothing feeds.

    Returns the fix (or none) and the layer the new Input feeds."""
    graph = design.models[model]
    if graph.input_nodes:
        return [], None
    roots = [n for n in graph.nodes if not graph.inputs_of(n.id) and get_kind(n.type) is not None]
    node = Node(fresh_id(design, "input"), "Input", {"shape": list(input_shape)})
    edges = list(graph.edges)
    layout = dict(design.layout)
    if roots:
        edges.append((node.id, roots[0].id))
        x, y = position_of(design, roots[0].id)
        layout[node.id] = [round(x), round(y - OFFSET * 1.5)]
    else:
        layout[node.id] = [0, 0]
    fixed = replace(design.with_model(model, Graph([node, *graph.nodes], edges)), layout=layout)
    target = f" into {roots[0].id}" if roots else ""
    label = f"Add an Input {fmt_shape(input_shape)}{target}"
    return [(f"input:{model}", label, fixed)], roots[0].id if roots else None


NODE_FIXES = (_rank_fixes, _add_fixes, _kernel_fixes, _connect_fixes)


def find_fixes(
    design: Design,
    analysis: Analysis | None = None,
    *,
    num_classes: int | None = None,
    input_shape: list[int] | None = None,
    vocab_size: int | None = None,
) -> list[Fix]:
    """Every fix for the design's problems, in the order of the problems they answer.

    `num_classes` (a classification data set's class count) adds the output-size fix;
    `vocab_size` (a text data set's vocabulary) the Embedding-size fix and, for a language
    model, the output-size fix;
    `input_shape` (the data's sample shape) adds the Input-shape fix and is the shape a missing
    Input gets ([1, 8, 8] without it).
    """
    analysis = analysis if analysis is not None else analyze(design)
    found: list[Fix] = []
    seen: set[str] = set()

    def keep(model, node_id, items, on_node=None):
        for fix_id, label, fixed in items:
            if fix_id not in seen and fixed != design:
                seen.add(fix_id)
                found.append(Fix(fix_id, model, node_id, label, fixed, on_node or node_id))

    for problem in analysis.problems:
        model = problem.model
        graph = design.models.get(model) if model else None
        if graph is None:
            continue
        shapes = analysis.shapes.get(model, {})
        if problem.node_id is None:
            items, feeds = _input_fix(design, model, input_shape or [1, 8, 8])
            keep(model, None, items, on_node=feeds)
            continue
        node = graph.node(problem.node_id)
        if node is None:
            continue
        for finder in NODE_FIXES:
            keep(model, node.id, finder(design, model, node, shapes))
    task = design.task
    if "model" in design.models and task != "gan":
        if input_shape:
            fixes = input_shape_fix(design, "model", input_shape)
            keep("model", fixes[0][0].split(":", 1)[1] if fixes else None, fixes)
        outputs = {"classification": num_classes, "language_model": vocab_size}.get(task)
        if outputs:
            shapes = analysis.shapes.get("model", {})
            per_position = task == "language_model"
            fixes = classes_fix(design, "model", shapes, outputs, per_position)
            keep("model", fixes[0][0].split(":", 1)[1] if fixes else None, fixes)
        if vocab_size:
            for fix in vocab_fixes(design, "model", vocab_size):
                keep("model", fix[0].split(":", 1)[1], [fix])
    return found


def alert_fixes(design: Design, alert) -> list[Fix]:
    """The fixes of a health alert (builder.introspect.health_alerts), as buttons on its node."""
    return [
        Fix(fix_id, "model", node, label, fixed, node)
        for fix_id, node, label, fixed in alert_fix_items(design, alert)
    ]


def apply_fix(design: Design, fix_id: str, **context) -> Design | None:
    """The design with fix `fix_id` applied, or None when the design no longer has it."""
    if fix_id.startswith("health:"):
        return apply_health_fix(design, fix_id)
    return next((f.design for f in find_fixes(design, **context) if f.id == fix_id), None)
