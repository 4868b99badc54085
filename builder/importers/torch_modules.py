"""PyTorch modules and functions as layer kinds: which map, onto what, with which params."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from builder.importers.params import pool_params, square
from builder.layers.norm import NORM_EPS, NORM_EPS_TEXT

SUPPORTED = (
    "nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d, nn.AvgPool2d, nn.BatchNorm1d/2d, "
    "nn.LayerNorm, nn.Dropout, nn.Flatten, nn.Upsample, nn.LSTM, nn.GRU, nn.RNN (batch_first), "
    "nn.Identity, activations (ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softmax, "
    "LogSoftmax) as modules or functions, F.max_pool2d, F.avg_pool2d, F.interpolate, "
    "torch.flatten, view/reshape/flatten, torch.cat, + between tensors, [:, -1] of a sequence"
)
ACTIVATION_MODULES = {
    nn.ReLU: "relu",
    nn.ELU: "elu",
    nn.GELU: "gelu",
    nn.SiLU: "silu",
    nn.Sigmoid: "sigmoid",
    nn.Tanh: "tanh",
    nn.Softmax: "softmax",
    nn.LogSoftmax: "log_softmax",
    nn.LeakyReLU: "leaky_relu",
}
ACTIVATION_FUNCTIONS = {
    F.relu: "relu",
    torch.relu: "relu",
    F.elu: "elu",
    F.gelu: "gelu",
    F.silu: "silu",
    torch.sigmoid: "sigmoid",
    F.sigmoid: "sigmoid",
    torch.tanh: "tanh",
    F.tanh: "tanh",
    F.softmax: "softmax",
    torch.softmax: "softmax",
    F.log_softmax: "log_softmax",
    torch.log_softmax: "log_softmax",
    F.leaky_relu: "leaky_relu",
}
ACTIVATION_METHODS = {
    "relu": "relu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softmax": "softmax",
    "log_softmax": "log_softmax",
}
RECURRENT = {nn.LSTM: "LSTM", nn.GRU: "GRU", nn.RNN: "RNN"}


def activation_options(m) -> dict:
    return {
        k: getattr(m, k) for k in ("negative_slope", "dim", "approximate", "alpha") if hasattr(m, k)
    }


def map_module(m: nn.Module, shape_in):
    """(kind, params) for a module, or why it cannot be mapped."""
    try:
        if isinstance(m, nn.Linear):
            return "Dense", {"out_features": m.out_features, "bias": m.bias is not None}
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
            if m.groups != 1 or m.padding_mode != "zeros" or isinstance(m.padding, str):
                return "groups, padding modes and 'same' padding are not supported"
            params = {
                "out_channels": m.out_channels,
                "kernel_size": square(m.kernel_size, "kernel_size"),
                "stride": square(m.stride, "stride"),
                "padding": square(m.padding, "padding"),
                "dilation": square(m.dilation, "dilation"),
                "bias": m.bias is not None,
            }
            if isinstance(m, nn.ConvTranspose2d):
                return "ConvTranspose2d", params | {
                    "output_padding": square(m.output_padding, "output_padding")
                }
            return "Conv2d", params
        if isinstance(m, nn.MaxPool2d | nn.AvgPool2d):
            if getattr(m, "ceil_mode", False) or getattr(m, "return_indices", False):
                return "ceil_mode and return_indices are not supported"
            if isinstance(m, nn.MaxPool2d) and square(m.dilation, "dilation") != 1:
                return "dilated pooling is not supported"
            if isinstance(m, nn.AvgPool2d) and (not m.count_include_pad or m.divisor_override):
                return "count_include_pad=False and divisor_override are not supported"
            kind = "MaxPool2d" if isinstance(m, nn.MaxPool2d) else "AvgPool2d"
            return kind, pool_params(m.kernel_size, m.stride, m.padding)
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            if not m.affine or not m.track_running_stats or m.eps != NORM_EPS or m.momentum is None:
                return (
                    "needs affine=True, track_running_stats=True, "
                    f"eps={NORM_EPS_TEXT} and a momentum"
                )
            return "BatchNorm", {"momentum": float(m.momentum)}
        if isinstance(m, nn.LayerNorm):
            expected = list(shape_in) if len(shape_in) == 3 else [shape_in[-1]]
            if (
                list(m.normalized_shape) != expected
                or not m.elementwise_affine
                or m.eps != NORM_EPS
            ):
                return (
                    f"normalizes over {list(m.normalized_shape)}; the design's LayerNorm normalizes "
                    f"over {expected} with eps {NORM_EPS_TEXT} and learned scale and shift"
                )
            if getattr(m, "bias", True) is None:
                return "needs a bias"
            return "LayerNorm", {}
        if isinstance(m, nn.Dropout):
            return "Dropout", {"p": float(m.p)}
        if isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                return "only Flatten(start_dim=1) keeps the batch and flattens the rest"
            return "Flatten", {}
        if isinstance(m, nn.Upsample):
            if m.size is not None or m.mode not in ("nearest", "bilinear") or m.align_corners:
                return "only Upsample(scale_factor=s, mode nearest|bilinear)"
            scale = (
                m.scale_factor
                if not isinstance(m.scale_factor, tuple)
                else square(m.scale_factor, "scale_factor")
            )
            return "Upsample", {"scale_factor": float(scale), "mode": m.mode}
    except (TypeError, ValueError) as exc:
        return str(exc)
    return f"{type(m).__name__} has no layer kind"
