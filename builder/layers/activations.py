"""Activation functions as module constructor sources, shared by every layer that computes."""

from __future__ import annotations

_MODULES = {
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(0.2)",
    "elu": "nn.ELU()",
    "gelu": "nn.GELU()",
    "silu": "nn.SiLU()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
}


def activation_source(name: str, shape: tuple[int, ...], negative_slope: float = 0.2) -> str:
    """Constructor source for activation `name` applied to samples of `shape` (batch excluded);
    `negative_slope` is leaky_relu's (a standalone Activation node may set it)."""
    if name == "leaky_relu" and negative_slope != 0.2:
        return f"nn.LeakyReLU({float(negative_slope)!r})"
    if name in ("softmax", "log_softmax"):
        # Over channels for images, over the last axis for vectors and sequences.
        module = "nn.Softmax" if name == "softmax" else "nn.LogSoftmax"
        return f"{module}(dim=1)" if len(shape) == 3 else f"{module}(dim=-1)"
    return _MODULES[name]
