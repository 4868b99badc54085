"""What every importer produces: nodes of our layer kinds with the weights of their layers, turned
into a design (activations folded where the design can say them) and its state_dict."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import torch

from builder.codegen.model_source import build_model
from builder.design.spec import Design, load_design
from builder.errors import DesignError
from builder.layers.registry import get_kind

# Activations a layer can carry in its `activation` field (leaky_relu only with the design's slope).
FOLDABLE = {"relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax"}


class ImportRefused(DesignError):
    """A model that cannot be mapped: every reason, each naming the module or node and the place."""

    def __init__(self, reasons: list[str], supported: str = ""):
        self.reasons = list(reasons)
        text = "cannot import this model:\n" + "\n".join(f"  - {r}" for r in self.reasons)
        if supported:
            text += f"\nsupported: {supported}"
        super().__init__(text)


@dataclass
class ImportedNode:
    id: str
    type: str
    params: dict
    inputs: list[str]
    weights: dict[str, torch.Tensor] = field(default_factory=dict)  # the layer's state_dict


@dataclass
class PendingRecurrent:
    """A recurrent layer seen but not yet a node: whether its whole output sequence or only its
    last step is used decides `return_sequences`, so it becomes a node at its first use."""

    type: str
    params: dict
    input: str
    weights: dict
    name: str
    node_id: str | None = None
    return_sequences: bool | None = None


class NodeMaker:
    """The nodes an importer makes, with unique ids, and the reasons it refuses."""

    def __init__(self) -> None:
        self.nodes: list[ImportedNode] = []
        self.taken: set[str] = set()
        self.refused: list[str] = []

    def make(self, wanted, kind: str, params: dict, inputs: list[str], weights=None) -> str:
        name = re.sub(r"\W", "_", wanted or "").strip("_") or kind.lower()
        node_id = unique_id(name, self.taken)
        self.nodes.append(ImportedNode(node_id, kind, params, inputs, dict(weights or {})))
        return node_id

    def materialize(self, pending: PendingRecurrent, return_sequences: bool) -> str:
        """The recurrent layer's node, made now if it is its first use."""
        if pending.node_id is not None:
            if pending.return_sequences != return_sequences:
                raise ValueError(
                    f"{pending.name}: both its whole sequence and its last step are used"
                )
            return pending.node_id
        pending.return_sequences = return_sequences
        params = {**pending.params, "return_sequences": return_sequences}
        pending.node_id = self.make(
            pending.name, pending.type, params, [pending.input], pending.weights
        )
        return pending.node_id


def unique_id(wanted: str, taken: set[str]) -> str:
    base = wanted or "node"
    name, n = base, 2
    while name in taken:
        name = f"{base}_{n}"
        n += 1
    taken.add(name)
    return name


def fold_activations(nodes: list[ImportedNode], output: str) -> tuple[list[ImportedNode], str]:
    """An Activation right after the only use of a layer that can carry one becomes its field."""
    by_id = {n.id: n for n in nodes}
    users: dict[str, list[str]] = {n.id: [] for n in nodes}
    for n in nodes:
        for source in n.inputs:
            users[source].append(n.id)
    gone: dict[str, str] = {}
    for n in nodes:
        if n.type != "Activation" or len(n.inputs) != 1:
            continue
        act = n.params["activation"]
        if act not in FOLDABLE and not (
            act == "leaky_relu" and n.params.get("negative_slope") == 0.2
        ):
            continue
        parent = by_id[n.inputs[0]]
        kind = get_kind(parent.type)
        if not kind.activation or parent.params.get("activation", "none") != "none":
            continue
        if users[parent.id] != [n.id] or parent.id in gone:
            continue
        parent.params["activation"] = act
        gone[n.id] = parent.id
    kept = [n for n in nodes if n.id not in gone]
    for n in kept:
        n.inputs = [gone.get(i, i) for i in n.inputs]
    return kept, gone.get(output, output)


def layout(nodes: list[ImportedNode]) -> dict[str, list[int]]:
    """Left to right by depth; nodes of the same depth stacked."""
    depth: dict[str, int] = {}
    rows: dict[int, int] = {}
    positions = {}
    for n in nodes:  # nodes come in evaluation order
        depth[n.id] = 1 + max((depth[i] for i in n.inputs), default=-1)
        row = rows.get(depth[n.id], 0)
        rows[depth[n.id]] = row + 1
        positions[n.id] = [depth[n.id] * 220, row * 140]
    return positions


def build_design(
    name: str, nodes: list[ImportedNode], output: str, training: dict | None = None
) -> tuple[Design, dict]:
    """The design of these nodes and the state_dict of its model with the imported weights."""
    nodes, output = fold_activations(nodes, output)
    ordered = [n for n in nodes if n.id != output] + [n for n in nodes if n.id == output]
    raw = {
        "version": 1,
        "name": name,
        "models": {
            "model": {
                "nodes": [{"id": n.id, "type": n.type, "params": n.params} for n in ordered],
                "edges": [[source, n.id] for n in ordered for source in n.inputs],
            }
        },
        "training": training or {},
        "layout": layout(nodes),
    }
    try:
        design = load_design(raw)
        model = build_model(design)
    except DesignError as exc:
        raise ImportRefused([f"the mapped design does not check: {exc}"]) from None
    for n in nodes:
        if not n.weights:
            continue
        layer = getattr(model, model.NODE_LAYERS[n.id])
        try:
            layer.load_state_dict(n.weights)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[-1].strip()
            raise ImportRefused(
                [f"{n.id}: its weights do not fit the mapped layer ({first})"]
            ) from None
    return design, {k: v.detach().clone() for k, v in model.state_dict().items()}


def output_difference(design: Design, weights: dict, example, expected) -> float:
    """Largest difference between `expected` (the original's output for `example`) and the
    design's with `weights`, in eval mode."""
    model = build_model(design)
    model.load_state_dict(weights)
    model.eval()
    with torch.no_grad():
        ours = model(torch.as_tensor(example))
    expected = torch.as_tensor(expected)
    if tuple(ours.shape) != tuple(expected.shape):
        return math.inf
    return float((ours - expected).abs().max())
