"""The one-click fixes of health alerts: switch an activation, insert BatchNorm or LayerNorm next to
a node, lower the learning rate ten times, turn on gradient clipping.

Like every fix (builder.design.fixes), each is a `Fix` whose id is enough to find it again on the
design it is applied to (`apply_health_fix`), so a stale button changes nothing it should not.
Ids: `health:lower_lr`, `health:clip_gradients`, `health:relu_everywhere`,
`health:activation:<activation>:<node>`, `health:norm:<node>` (a norm layer after the node).
"""

from __future__ import annotations

from dataclasses import replace

from builder.design.edits import fresh_id, insert_between, set_param
from builder.design.settings import resolved_training
from builder.design.shapes import infer_shapes
from builder.design.spec import Design, Graph, Node
from builder.errors import DesignError
from builder.layers.registry import get_kind

PREFIX = "health:"
MODEL = "model"
SQUASHING = ("sigmoid", "tanh")
CLIP_NORM = 1.0


def _lower_lr(design: Design):
    s = resolved_training(dict(design.training or {}))
    lr = float(s["optimizer"]["lr"])
    optimizer = {**(design.training or {}).get("optimizer", {}), "lr": lr / 10}
    training = {**(design.training or {}), "optimizer": optimizer}
    label = f"Lower the learning rate ten times ({lr:g} → {lr / 10:g})"
    return "lower_lr", label, replace(design, training=training)


def _clip(design: Design):
    if (design.training or {}).get("clip_grad_norm"):
        return None
    training = {**(design.training or {}), "clip_grad_norm": CLIP_NORM}
    label = f"Turn on gradient clipping (norm {CLIP_NORM:g})"
    return "clip_gradients", label, replace(design, training=training)


def _activation_nodes(design: Design, names) -> list[str]:
    graph = design.models.get(MODEL)
    if graph is None:
        return []
    return [n.id for n in graph.nodes if n.params.get("activation") in names]


def _relu_everywhere(design: Design):
    nodes = _activation_nodes(design, SQUASHING)
    if not nodes:
        return None
    fixed = design
    for node in nodes:
        fixed = set_param(fixed, MODEL, node, activation="relu")
    count = f"{len(nodes)} layer{'s' if len(nodes) != 1 else ''}"
    return "relu_everywhere", f"Switch sigmoid and tanh to ReLU ({count})", fixed


def _activation(design: Design, node_id: str, activation: str):
    graph = design.models.get(MODEL)
    node = graph.node(node_id) if graph else None
    kind = get_kind(node.type) if node else None
    if kind is None or not kind.activation or node.params.get("activation") == activation:
        return None
    fixed = set_param(design, MODEL, node_id, activation=activation)
    return f"activation:{activation}:{node_id}", f"Switch {node_id} to {activation}", fixed


def _norm_after(design: Design, node_id: str):
    """BatchNorm after a node whose output is a vector or an image, LayerNorm after a sequence;
    the new node feeds everything the node fed."""
    graph = design.models.get(MODEL)
    if graph is None or graph.node(node_id) is None:
        return None
    users = graph.users_of(node_id)
    try:
        shape = infer_shapes(design)[MODEL].get(node_id)
    except DesignError:
        return None
    if not users or shape is None:
        return None
    kind = "BatchNorm" if len(shape) in (1, 3) else "LayerNorm"
    node = Node(fresh_id(design, kind.lower()), kind, {})
    fixed = insert_between(design, MODEL, node_id, users[0], node)
    if len(users) > 1:  # the other users read the normalized output too
        graph = fixed.models[MODEL]
        edges = [
            (node.id, t) if s == node_id and t in users[1:] else (s, t) for s, t in graph.edges
        ]
        fixed = fixed.with_model(MODEL, Graph(list(graph.nodes), edges))
    return f"norm:{node_id}", f"Insert {kind} after {node_id}", fixed


def _source_of(design: Design, node_id: str) -> str | None:
    graph = design.models.get(MODEL)
    sources = graph.inputs_of(node_id) if graph else []
    return sources[0] if len(sources) == 1 else None


def alert_fix_items(design: Design, alert) -> list[tuple[str, str, str, Design]]:
    """(fix id, node, label, fixed design) of each fix of one alert
    (builder.introspect.health_alerts.Alert) on this design."""
    if MODEL not in design.models:
        return []
    found = []
    for kind in alert.fixes:
        item = None
        if kind == "lower_lr":
            item = _lower_lr(design)
        elif kind == "clip_gradients":
            item = _clip(design)
        elif kind == "relu_everywhere":
            item = _relu_everywhere(design)
        elif kind in ("relu", "leaky_relu"):
            item = _activation(design, alert.node, kind)
        elif kind == "norm_after":
            item = _norm_after(design, alert.node)
        elif kind == "norm_before":
            source = _source_of(design, alert.node)
            item = _norm_after(design, source) if source else None
        if item is not None and item[2] != design:
            found.append((PREFIX + item[0], alert.node, item[1], item[2]))
    return found


def apply_health_fix(design: Design, fix_id: str) -> Design | None:
    """The design with health fix `fix_id` applied, or None when it does not apply to it."""
    if not fix_id.startswith(PREFIX) or MODEL not in design.models:
        return None
    what = fix_id[len(PREFIX) :]
    item = None
    if what == "lower_lr":
        item = _lower_lr(design)
    elif what == "clip_gradients":
        item = _clip(design)
    elif what == "relu_everywhere":
        item = _relu_everywhere(design)
    elif what.startswith("activation:"):
        _, activation, node_id = what.split(":", 2)
        if activation in ("relu", "leaky_relu"):
            item = _activation(design, node_id, activation)
    elif what.startswith("norm:"):
        item = _norm_after(design, what.split(":", 1)[1])
    return None if item is None else item[2]
