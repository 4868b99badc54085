"""Normalization layers."""

from __future__ import annotations

import math

from builder.errors import ShapeError
from builder.layers.registry import LayerKind, fmt_shape, register
from builder.params import Param

# The emitted BatchNorm and LayerNorm keep PyTorch's default eps; a model brought in must
# normalize with this one to be drawn as these kinds (the importers check it).
NORM_EPS = 1e-5
NORM_EPS_TEXT = "1e-5"  # how messages write it


def _batchnorm_shape(inputs, p):
    shape = inputs[0]
    if len(shape) not in (1, 3):
        raise ShapeError(
            f"expects [F] or [C, H, W], got {fmt_shape(shape)}", "use LayerNorm for sequences"
        )
    return shape


def _batchnorm_build(inputs, p):
    shape = inputs[0]
    dims = "2d" if len(shape) == 3 else "1d"
    return [f"nn.BatchNorm{dims}({shape[0]}, momentum={p['momentum']!r})"]


register(
    LayerKind(
        type="BatchNorm",
        group="Regularization",
        help="Normalizes each channel over the batch (BatchNorm1d for [F], BatchNorm2d for images)",
        params=(
            Param(
                "momentum",
                "float",
                0.1,
                "How fast running statistics follow the batches",
                min=0,
                max=1,
            ),
        ),
        shape=_batchnorm_shape,
        build=_batchnorm_build,
        count=lambda inputs, p: 2 * inputs[0][0],
        activation=True,
    )
)


def _normalized(shape) -> tuple[int, ...]:
    # Images normalize over the whole sample; vectors and sequences over their features.
    return tuple(shape) if len(shape) == 3 else (shape[-1],)


register(
    LayerKind(
        type="LayerNorm",
        group="Regularization",
        help="Normalizes each sample over its features (over [C, H, W] for images)",
        params=(),
        shape=lambda inputs, p: inputs[0],
        build=lambda inputs, p: [f"nn.LayerNorm({list(_normalized(inputs[0]))})"],
        count=lambda inputs, p: 2 * math.prod(_normalized(inputs[0])),
        activation=True,
    )
)
