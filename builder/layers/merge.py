"""Merge layers: the only kinds that take several inbound edges."""

from __future__ import annotations

from builder.errors import ShapeError
from builder.layers.registry import LayerKind, fmt_shape, register
from builder.params import Param


def _add_shape(inputs, p):
    if len(set(inputs)) > 1:
        raise ShapeError(
            "inputs must all have the same shape, got " + ", ".join(map(fmt_shape, inputs)),
            "make the branches end in the same shape",
        )
    return inputs[0]


register(
    LayerKind(
        type="Add",
        group="Merge",
        help="Adds its inputs element by element (residual connections)",
        params=(),
        shape=_add_shape,
        build=lambda inputs, p: ["Add()"],
        inputs="many",
        activation=True,
        helpers=("Add",),
    )
)


def _concat_shape(inputs, p):
    dim, rank = p["dim"], len(inputs[0])
    if any(len(s) != rank for s in inputs):
        raise ShapeError(
            "inputs must have the same number of dimensions, got "
            + ", ".join(map(fmt_shape, inputs))
        )
    if dim >= rank:
        raise ShapeError(f"dim {dim} does not exist in {rank}-D inputs", f"use dim 0 to {rank - 1}")
    rest = {s[:dim] + s[dim + 1 :] for s in inputs}
    if len(rest) > 1:
        raise ShapeError(
            f"inputs must match on every axis except {dim}, got "
            + ", ".join(map(fmt_shape, inputs))
        )
    shape = list(inputs[0])
    shape[dim] = sum(s[dim] for s in inputs)
    return tuple(shape)


register(
    LayerKind(
        type="Concat",
        group="Merge",
        help="Joins its inputs along an axis, in the order of the edges",
        params=(
            Param(
                "dim", "int", 0, "Sample axis to join along (0: channels / features)", min=0, max=2
            ),
        ),
        shape=_concat_shape,
        build=lambda inputs, p: [f"Concat(dim={p['dim'] + 1})"],
        inputs="many",
        helpers=("Concat",),
    )
)
