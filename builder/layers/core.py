"""Input, Dense, Flatten, Reshape, Activation and Dropout."""

from __future__ import annotations

import math

from builder.errors import ShapeError
from builder.layers.activations import activation_source
from builder.layers.registry import LayerKind, expect_rank, fmt_shape, register
from builder.params import ACTIVATIONS, Param

register(
    LayerKind(
        type="Input",
        group="Input/Output",
        help="Where samples enter: their shape without the batch, e.g. [1, 8, 8] or [32, 1]",
        params=(
            Param(
                "shape",
                "shape",
                (1, 8, 8),
                "Sample shape: [F] vectors, [T, F] sequences, [C, H, W] images",
                min=1,
            ),
        ),
        shape=lambda inputs, p: tuple(p["shape"]),
        build=lambda inputs, p: [],
        inputs="none",
    )
)


def _dense_shape(inputs, p):
    shape = expect_rank(inputs, (1, 2), "[F] or [T, F]", "insert Flatten before it")
    return shape[:-1] + (p["out_features"],)


register(
    LayerKind(
        type="Dense",
        group="Core",
        help="Fully connected layer (nn.Linear): every output sees every input feature",
        params=(
            Param("out_features", "int", 64, "Number of output features", min=1, max=65536),
            Param("bias", "bool", True, "Learn an additive bias"),
        ),
        shape=_dense_shape,
        build=lambda inputs, p: [
            f"nn.Linear({inputs[0][-1]}, {p['out_features']}, bias={p['bias']})"
        ],
        count=lambda inputs, p: inputs[0][-1] * p["out_features"] + p["out_features"] * p["bias"],
        activation=True,
    )
)

register(
    LayerKind(
        type="Flatten",
        group="Core",
        help="Flattens each sample into one feature vector [F]",
        params=(),
        shape=lambda inputs, p: (math.prod(inputs[0]),),
        build=lambda inputs, p: ["nn.Flatten()"],
    )
)


def _reshape_shape(inputs, p):
    source = inputs[0]
    target = list(p["shape"])
    total = math.prod(source)
    if -1 in target:
        known = math.prod(v for v in target if v != -1)
        if total % known:
            raise ShapeError(
                f"cannot reshape {fmt_shape(source)} ({total} values) to {fmt_shape(target)}",
                f"{total} is not a multiple of {known}",
            )
        target[target.index(-1)] = total // known
    if math.prod(target) != total:
        raise ShapeError(
            f"cannot reshape {fmt_shape(source)} ({total} values) "
            f"to {fmt_shape(target)} ({math.prod(target)} values)",
            "make the product of the new shape equal the input's size",
        )
    return tuple(target)


register(
    LayerKind(
        type="Reshape",
        group="Core",
        help="Reshapes each sample, keeping its values (one size may be -1)",
        params=(Param("shape", "shape", (-1,), "New sample shape, e.g. [16, 4, 4]; -1 infers"),),
        shape=_reshape_shape,
        build=lambda inputs, p: [f"Reshape({', '.join(str(v) for v in p['shape'])})"],
        helpers=("Reshape",),
    )
)

register(
    LayerKind(
        type="Activation",
        group="Core",
        help="Applies an activation function on its own",
        params=(
            Param(
                "activation",
                "choice",
                "relu",
                "Function to apply",
                choices=tuple(a for a in ACTIVATIONS if a != "none"),
            ),
            Param(
                "negative_slope",
                "float",
                0.2,
                "leaky_relu: the slope for inputs below zero",
                min=0,
                max=1,
                applies_when=("activation", ("leaky_relu",)),
            ),
        ),
        shape=lambda inputs, p: inputs[0],
        build=lambda inputs, p: [
            activation_source(p["activation"], inputs[0], p["negative_slope"])
        ],
    )
)

register(
    LayerKind(
        type="Dropout",
        group="Regularization",
        help="Zeroes a random fraction p of values while training, to fight overfitting",
        params=(
            Param(
                "p",
                "float",
                0.5,
                "Probability of zeroing a value",
                min=0,
                max=1,
                max_exclusive=True,
            ),
        ),
        shape=lambda inputs, p: inputs[0],
        build=lambda inputs, p: [f"nn.Dropout(p={p['p']!r})"],
    )
)
