"""Forward FLOPs of every node, per sample, counted without real tensors.

A node's count comes from its layer declaration's own formula where it has one (recurrent layers
and attention: their work depends on the sequence length in ways worth stating by hand), else from
torch's FlopCounterMode running the node's emitted modules on meta tensors (shapes only, no
memory). Counts are cached by (kind, input shapes, params), so a design of repeated layers costs
one count per distinct layer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

import torch
from torch.utils.flop_counter import FlopCounterMode

from builder.codegen.execute import run_source
from builder.codegen.model_source import HELPERS
from builder.layers.registry import get_kind

FLOP_MEANING = (
    "1 FLOP is one floating-point multiplication or addition, so a multiply-add is 2 FLOPs "
    "(FLOPs, not MACs). Counted: matrix products and convolutions, as torch's FlopCounterMode "
    "counts them; element-wise work (activations, normalization, pooling, biases) is left out."
)
# One training step: the forward pass, then a backward pass that costs about twice as much
# (the gradients with respect to both the inputs and the weights of each product).
TRAINING_STEP_FACTOR = 3


@dataclass
class FlopCounts:
    """Forward FLOPs per sample: model -> node id -> count (missing: the node has a problem)."""

    nodes: dict[str, dict[str, int]] = field(default_factory=dict)

    def model_total(self, model: str) -> int:
        return sum(self.nodes.get(model, {}).values())

    @property
    def total(self) -> int:
        """Forward FLOPs of one sample through every model of the design."""
        return sum(self.model_total(model) for model in self.nodes)

    def training_step(self, batch_size: int) -> int:
        """About the FLOPs of one training step of `batch_size` samples (forward and backward)."""
        return self.total * TRAINING_STEP_FACTOR * int(batch_size)


def design_flops(design, analysis) -> FlopCounts:
    """Forward FLOPs of every node whose shape `analysis` (builder.design.shapes.analyze) knows."""
    counts = FlopCounts()
    for model, graph in design.models.items():
        shapes = analysis.shapes.get(model, {})
        inbound = {node.id: [] for node in graph.nodes}
        for source, target in graph.edges:
            if target in inbound:
                inbound[target].append(source)
        per_node = {}
        for node in graph.nodes:
            kind = get_kind(node.type)
            sources = inbound[node.id]
            if kind is None or node.id not in shapes or any(s not in shapes for s in sources):
                continue
            in_shapes = [tuple(shapes[s]) for s in sources]
            per_node[node.id] = node_flops(node.type, in_shapes, kind.resolve(node.params))
        counts.nodes[model] = per_node
    return counts


def node_flops(type_name: str, in_shapes: list[tuple[int, ...]], params: dict) -> int:
    """Forward FLOPs of one sample through one node of kind `type_name` (its full params)."""
    kind = get_kind(type_name)
    if kind.flops is not None:
        return int(kind.flops(in_shapes, params))
    if not in_shapes:
        return 0  # an Input computes nothing
    key = json.dumps(params, sort_keys=True, default=str)
    return _counted(type_name, tuple(tuple(s) for s in in_shapes), key)


@lru_cache(maxsize=8192)
def _counted(type_name: str, in_shapes: tuple[tuple[int, ...], ...], params_key: str) -> int:
    kind = get_kind(type_name)
    params = kind.resolve(json.loads(params_key))
    sources = kind.build([tuple(s) for s in in_shapes], params)
    if not sources:
        return 0
    build = _builder(tuple(sources), kind.helpers)
    with torch.device("meta"):
        modules = build()
        inputs = [_meta_input(shape, kind.tokens) for shape in in_shapes]
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = modules[0](*inputs)
        for module in modules[1:]:
            out = module(out)
    return int(counter.get_total_flops())


def _meta_input(shape, tokens: bool) -> torch.Tensor:
    if tokens:
        return torch.zeros((1, *shape), dtype=torch.long, device="meta")
    return torch.empty((1, *shape), device="meta")


@lru_cache(maxsize=8192)
def _builder(sources: tuple[str, ...], helpers: tuple[str, ...]):
    """A function that builds the node's modules by the very constructor lines model.py holds."""
    parts = ["import torch", "from torch import nn"]
    parts += [HELPERS[name].strip("\n") for name in HELPERS if name in helpers]
    parts.append(
        "def build():\n    return [\n" + "".join(f"        {s},\n" for s in sources) + "    ]"
    )
    module = run_source("\n\n\n".join(parts) + "\n", "<netbuilder node flops>", "netbuilder_flops")
    return module.build


def fmt_flops(count: int) -> str:
    """A count as people read it: 1.2 MFLOPs, 3.4 GFLOPs."""
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= size:
            return f"{count / size:,.1f} {unit}FLOPs"
    return f"{count:,} FLOPs"
