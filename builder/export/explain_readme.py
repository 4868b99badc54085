"""The README section that runs netbuilder's explanations on the exported model with captum."""

from __future__ import annotations

from builder.codegen.model_source import build_model
from builder.design.spec import load_design


def _conv_module(design) -> str | None:
    """The attribute of the last convolution node's output module (what Grad-CAM hooks)."""
    convs = [n.id for n in design.models["model"].nodes if n.type.startswith("Conv")]
    return build_model(design).NODE_MODULES[convs[-1]] if convs else None


def explain_section(design, has_weights: bool) -> list[str]:
    """Markdown lines: Saliency / Integrated Gradients / Grad-CAM on `Model`, as the app runs them."""
    design = load_design(design)
    if design.is_gan or design.task not in ("classification", "language_model", "regression"):
        return []
    graph = design.models["model"]
    types = {n.id: n.type for n in graph.nodes}
    embedding = next((n for n, kind in types.items() if kind == "Embedding"), None)
    last = "[:, -1, :]" if design.task == "language_model" else ".flatten(1)"
    weights = 'model.load_state_dict(torch.load("weights.pt", weights_only=True))'
    lines = [
        "",
        "## Explain a prediction (captum)",
        "",
        "The app's explanations are captum's; the same on the exported model "
        "(`pip install captum`):",
        "",
        "```python",
        "import torch",
        "from captum.attr import IntegratedGradients, LayerGradCam, LayerIntegratedGradients, "
        "Saliency",
        "from model import Model",
        "",
        "model = Model()",
        weights if has_weights else "# model.load_state_dict(...) with your trained weights",
        "model.eval()",
        "",
        "",
        "def scores(x):",
        f"    return model(x){last}",
        "",
        "",
    ]
    if embedding:
        lines += [
            "x = torch.randint(1, Model.INPUT_TOKENS, (1, *Model.INPUT_SHAPE))  # your tokens",
            "target = int(scores(x).argmax())",
            f"ig = LayerIntegratedGradients(scores, model.{embedding})",
            "tokens, delta = ig.attribute(x, baselines=torch.zeros_like(x), target=target,",
            "                             n_steps=128, return_convergence_delta=True)",
            "print(tokens.sum(-1), delta)  # one number per token",
        ]
    else:
        lines += [
            "x = torch.randn(1, *Model.INPUT_SHAPE)  # your sample, prepared like the training data",
            "target = int(scores(x).argmax())",
            "saliency = Saliency(scores).attribute(x, target=target, abs=True)",
            "ig = IntegratedGradients(scores)",
            "attribution, delta = ig.attribute(x, baselines=torch.zeros_like(x), target=target,",
            "                                  n_steps=128, return_convergence_delta=True)",
            "print(attribution.shape, delta)  # delta: sum(attribution) - (f(x) - f(baseline))",
        ]
    conv = _conv_module(design)
    if conv and design.task != "regression":
        lines += [
            f"cam = LayerGradCam(scores, model.{conv}).attribute(x, target=target, "
            "relu_attributions=True)",
            "print(cam.shape)  # upsample to the input with captum's LayerAttribution.interpolate",
        ]
    return lines + ["```"]
