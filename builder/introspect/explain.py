"""Why did the trained model say that? Attributions on a person's own model and data, with captum.

Saliency and Integrated Gradients attribute a score to the input (for token inputs: to each
token, through the Embedding's output); Grad-CAM weighs a convolution node's maps by the score's
gradient and stretches the result over the input. Every method runs on the model that
`trained_models` builds, so the weights explained are exactly the ones that were trained.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from captum.attr import (
    IntegratedGradients,
    LayerAttribution,
    LayerGradCam,
    LayerGradientXActivation,
    LayerIntegratedGradients,
    Saliency,
)

from builder.design.spec import load_design
from builder.errors import DesignError
from builder.introspect.attention import attention_maps, attention_nodes
from builder.introspect.baselines import BASELINES, baseline_for
from builder.introspect.methods import DEFAULT_STEPS, METHODS
from builder.introspect.samples import design_data
from builder.introspect.trained import trained_models

CLASS_TASKS = ("classification", "language_model")


@dataclass
class Explanation:
    """One attribution of one sample. `attribution` has the input's shape (token inputs: [T];
    Grad-CAM: the input's spatial size); `delta` is Integrated Gradients' convergence delta."""

    method: str
    target: int
    attribution: np.ndarray
    scores: np.ndarray  # the model's outputs the target was picked from
    probabilities: np.ndarray | None
    node: str | None = None
    delta: float | None = None
    difference: float | None = None  # f(x) - f(baseline); delta = sum(attribution) - difference
    attention: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def relative_delta(self) -> float | None:
        if self.delta is None:
            return None
        return abs(self.delta) / max(abs(self.difference or 0.0), 1e-12)


def _score_function(model, task):
    """Model outputs as [B, scores]: a language model's last position; one logit as two classes."""

    def scores(x):
        out = model(x)
        if task == "language_model":
            return out[:, -1, :]
        out = out.reshape(out.shape[0], -1)
        if task == "classification" and out.shape[1] == 1:  # softmax([-z/2, z/2]) = sigmoid
            return torch.cat([-out / 2, out / 2], dim=1)
        return out

    return scores


def _node_types(design, model_name):
    return {n.id: n.type for n in design.models[model_name].nodes}


def _embedding_layer(model, design, model_name):
    for node_id, kind in _node_types(design, model_name).items():
        if kind == "Embedding":
            return model.get_submodule(model.NODE_LAYERS[node_id])
    raise DesignError(
        "this model reads tokens but has no Embedding node, so there is nothing differentiable "
        "to attribute to"
    )


def _conv_node(design, model_name, node):
    types = _node_types(design, model_name)
    if node is None:
        convs = [n for n, kind in types.items() if kind.startswith("Conv")]
        if not convs:
            raise DesignError(
                "Grad-CAM needs a convolution node; this model has none (use saliency or "
                "integrated_gradients)"
            )
        return convs[-1]
    if node not in types:
        raise DesignError(f"no node {node!r} in model {model_name!r}")
    if not types[node].startswith("Conv"):
        raise DesignError(f"Grad-CAM runs on a convolution node; {node!r} is a {types[node]} node")
    return node


def _check_sample(x: np.ndarray, model, task) -> torch.Tensor:
    expected = tuple(model.INPUT_SHAPE)
    shape = tuple(np.shape(x))
    fits = shape == expected or (
        task == "language_model" and len(shape) == 1 and 1 <= shape[0] <= expected[0]
    )
    if not fits:
        raise DesignError(f"the sample has shape {list(shape)}; the Input expects {list(expected)}")
    tensor = torch.as_tensor(np.asarray(x)).unsqueeze(0)
    if model.INPUT_TOKENS:
        tensor = tensor.long()
        if tensor.min() < 0 or tensor.max() >= model.INPUT_TOKENS:
            raise DesignError(f"token ids must lie in 0..{model.INPUT_TOKENS - 1}")
        return tensor
    return tensor.float()


def _spatial(x: torch.Tensor, tokens: bool) -> tuple[int, ...]:
    return tuple(x.shape[1:]) if tokens else tuple(x.shape[2:])


def _grad_cam(model, forward, x, layer_node, target, tokens):
    layer = model.get_submodule(model.NODE_MODULES[layer_node])
    cam = LayerGradCam(forward, layer).attribute(x, target=target, relu_attributions=True)
    size = _spatial(x, tokens)
    if not size:
        raise DesignError("Grad-CAM needs an input with positions (an image, a signal or tokens)")
    mode = "bilinear" if len(size) == 2 else "linear"
    if cam.dim() == 2 + len(size):
        cam = LayerAttribution.interpolate(cam, size, interpolate_mode=mode)
    return cam[0, 0].detach()


def _token_attribution(model, forward, x, target, method, embedding, steps):
    if method == "saliency":  # the gradient at the embedding, one size per token
        grad = LayerGradientXActivation(forward, embedding, multiply_by_inputs=False)
        return grad.attribute(x, target=target)[0].norm(dim=-1).detach(), None
    ig = LayerIntegratedGradients(forward, embedding)
    attr, delta = ig.attribute(
        x,
        baselines=torch.zeros_like(x),  # token 0: padding for classifiers
        target=target,
        n_steps=steps,
        return_convergence_delta=True,
    )
    return attr[0].sum(dim=-1).detach(), float(delta.sum())


def _check_task(design, method):
    if design.is_gan:
        raise DesignError(
            "a GAN's generator turns random noise into samples: no input holds evidence for a "
            "decision, so there is nothing to attribute"
        )
    if method == "grad_cam" and design.task not in CLASS_TASKS:
        raise DesignError(
            f"Grad-CAM weighs the evidence for a class; this design's task is {design.task}, "
            "which predicts numbers (use saliency or integrated_gradients)"
        )
    if method not in METHODS:
        raise DesignError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def explain(
    design,
    weights=None,
    *,
    sample=None,
    data=None,
    index: int = 0,
    method: str = "saliency",
    node: str | None = None,
    target: int | None = None,
    baseline: str = "zeros",
    steps: int = DEFAULT_STEPS,
    model_name: str = "model",
) -> Explanation:
    """Attribute the model's score for `target` (default: its prediction) on one sample.

    The sample is `sample` (an array of the Input's shape) or validation sample `index` of
    `data` (a Dataset, a data file, or None for the design's own data set). `weights` is a
    state_dict or a saved weights file (None: the untrained model). Raises DesignError with the
    reason when the method does not apply.
    """
    design = load_design(design)
    _check_task(design, method)
    models = trained_models(design, weights)
    if model_name not in models:
        raise DesignError(f"no model {model_name!r} in this design")
    model = models[model_name]
    dataset = None
    if sample is None:
        dataset = design_data(design, data)
        if not 0 <= index < len(dataset.x_val):
            raise DesignError(
                f"index {index} is outside the {len(dataset.x_val)} validation samples"
            )
        sample = dataset.x_val[index]
    x = _check_sample(sample, model, design.task)
    tokens = bool(model.INPUT_TOKENS)
    forward = _score_function(model, design.task)
    with torch.no_grad():
        scores = forward(x)[0]
    probabilities = None
    if design.task in CLASS_TASKS:
        probabilities = torch.softmax(scores, dim=0).numpy()
    target = int(scores.argmax()) if target is None else int(target)
    if not 0 <= target < scores.numel():
        raise DesignError(f"target {target} is outside the {scores.numel()} outputs")
    delta = difference = None
    if method == "grad_cam":
        node = _conv_node(design, model_name, node)
        attribution = _grad_cam(model, forward, x, node, target, tokens)
    elif tokens:
        embedding = _embedding_layer(model, design, model_name)
        if method == "integrated_gradients" and baseline != "zeros":
            raise DesignError(
                f"the {baseline!r} baseline is for numeric inputs; token inputs start from "
                "token 0 (zeros)"
            )
        attribution, delta = _token_attribution(model, forward, x, target, method, embedding, steps)
        if delta is not None:
            with torch.no_grad():
                difference = float(scores[target] - forward(torch.zeros_like(x))[0, target])
    elif method == "saliency":
        x.requires_grad_(True)
        attribution = Saliency(forward).attribute(x, target=target, abs=True)[0].detach()
    else:
        x_train = None
        if baseline == "mean":
            dataset = dataset or design_data(design, data)
            x_train = dataset.x_train
        start = baseline_for(baseline, x, x_train)
        attr, delta_t = IntegratedGradients(forward).attribute(
            x,
            baselines=start,
            target=target,
            n_steps=steps,
            return_convergence_delta=True,
            internal_batch_size=max(1, steps),
        )
        attribution, delta = attr[0].detach(), float(delta_t.sum())
        with torch.no_grad():
            difference = float(scores[target] - forward(start)[0, target])
    attention = {}
    nodes = attention_nodes(design, model_name)
    if nodes:
        attention = attention_maps(model, x, nodes)
    return Explanation(
        method=method,
        target=target,
        attribution=attribution.numpy().astype(np.float32),
        scores=scores.numpy(),
        probabilities=probabilities,
        node=node if method == "grad_cam" else None,
        delta=delta,
        difference=difference,
        attention=attention,
    )


__all__ = ["BASELINES", "METHODS", "Explanation", "explain"]
