"""Looking inside a model: every node's output for one sample, and predicted class probabilities.

Forward hooks are put on the submodules that `NODE_MODULES` names (one per node), the sample
goes through once in eval mode without gradients, and the hooks come off again.  The model's
outputs, weights, buffers (BatchNorm statistics) and train/eval flags are left as they were, so
capturing during or between training runs changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn

from builder.design.shapes import analyze
from builder.design.spec import load_design
from builder.errors import DesignError
from builder.layers.registry import fmt_shape


@dataclass
class Capture:
    """What one sample does inside a model.

    `outputs` maps every node id, in evaluation order, to its output for the sample without the
    batch dimension (float32 numpy): `[C, H, W]` for convolutions, `[F]` for dense layers,
    `[T, H]` for recurrent layers; the Input node's entry is the sample itself.
    """

    model: str
    input_id: str
    output_id: str
    outputs: dict[str, np.ndarray]
    types: dict[str, str] = field(default_factory=dict)
    probabilities: np.ndarray | None = None
    class_names: list[str] | None = None

    @property
    def input(self) -> np.ndarray:
        return self.outputs[self.input_id]

    @property
    def output(self) -> np.ndarray:
        return self.outputs[self.output_id]

    @property
    def shapes(self) -> dict[str, list[int]]:
        return {node_id: list(value.shape) for node_id, value in self.outputs.items()}

    @property
    def predicted(self) -> int | None:
        """The most probable class index (classification only)."""
        return None if self.probabilities is None else int(np.argmax(self.probabilities))


def capture(
    design,
    module: nn.Module,
    sample,
    model: str | None = None,
    *,
    class_names: list[str] | None = None,
) -> Capture:
    """Every node's output of `module` (built from `design`'s `model`) for one `sample`.

    `sample` has the Input's shape (no batch dimension): a numpy array or tensor.  For a
    classification design the result also holds the class probabilities: the softmax of the
    output logits (a sigmoid for one logit), or the output itself when the model already ends
    in a softmax.
    """
    design = load_design(design)
    model = model or next(iter(design.models))
    if model not in design.models:
        raise DesignError(f"the design has no model {model!r} (it has {', '.join(design.models)})")
    analysis = analyze(design)
    graph = design.models[model]
    types = {node.id: node.type for node in graph.nodes}
    input_id, output_id = graph.input_node, graph.output_node or graph.input_node
    layers = [n for n in analysis.order[model] if n != input_id]
    input_shape = list(analysis.shapes[model][input_id])

    taps = getattr(type(module), "NODE_MODULES", None)
    if taps is None or set(taps) != set(layers):
        raise DesignError(
            f"this module was not built from the {model!r} model of this design "
            "(its NODE_MODULES do not match the design's nodes)"
        )
    x = _as_batch(sample, input_shape, input_id, module)

    outputs: dict[str, np.ndarray] = {input_id: x[0].detach().cpu().numpy().astype(np.float32)}
    seen: dict[str, torch.Tensor] = {}
    handles = []
    modes = {sub: sub.training for sub in module.modules()}
    try:
        for node_id, attr in taps.items():
            handles.append(getattr(module, attr).register_forward_hook(_recorder(node_id, seen)))
        module.eval()
        with torch.no_grad():
            module(x)
    finally:
        for handle in handles:
            handle.remove()
        for sub, was_training in modes.items():
            sub.training = was_training
    for node_id in layers:
        outputs[node_id] = seen[node_id][0].detach().float().cpu().numpy()

    probabilities = None
    task = design.task
    if task == "classification" and model == "model":
        last = getattr(module, taps[output_id])
        probabilities = class_probabilities(seen[output_id][0], already=_probability_module(last))
    return Capture(
        model=model,
        input_id=input_id,
        output_id=output_id,
        outputs=outputs,
        types=types,
        probabilities=probabilities,
        class_names=class_names,
    )


def class_probabilities(output: torch.Tensor, already: str | None = None) -> np.ndarray | None:
    """Class probabilities from one sample's output vector: softmax, or [1-p, p] for one logit."""
    if output.dim() != 1:
        return None
    out = output.detach().float()
    if out.numel() == 1:
        p = out if already == "sigmoid" else torch.sigmoid(out)
        probs = torch.cat([1 - p, p])
    elif already == "softmax":
        probs = out
    else:
        probs = torch.softmax(out, dim=0)
    return probs.cpu().numpy()


def _probability_module(module: nn.Module) -> str | None:
    if isinstance(module, nn.Softmax):
        return "softmax"
    if isinstance(module, nn.Sigmoid):
        return "sigmoid"
    return None


def _recorder(node_id: str, seen: dict):
    def hook(_module, _inputs, output):
        seen[node_id] = output.detach().clone()

    return hook


def _as_batch(sample, shape: list[int], input_id: str, module: nn.Module) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(sample) if not torch.is_tensor(sample) else sample)
    if list(x.shape) == [1, *shape]:
        x = x[0]
    if list(x.shape) != shape:
        raise ValueError(
            f"node {input_id!r} (Input): expects a sample of shape {fmt_shape(shape)}, "
            f"got {fmt_shape(list(x.shape))}"
        )
    param = next(module.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    tokens = getattr(type(module), "INPUT_TOKENS", None)  # a text model reads token ids
    return x.to(device=device, dtype=torch.long if tokens else torch.float32).unsqueeze(0)
