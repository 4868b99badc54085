"""Convolution and pooling along time over sequences [T, F], and global pooling."""

from __future__ import annotations

from builder.errors import ShapeError
from builder.layers.registry import LayerKind, expect_rank, fmt_shape, register
from builder.params import Param

SEQUENCE = "a sequence [T, F]"
TO_SEQUENCE = "insert Reshape to [T, F] before it"


def _length_out(t: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    span = dilation * (kernel - 1) + 1
    if t + 2 * padding < span:
        raise ShapeError(
            f"a window of {span} steps is longer than the sequence's {t}"
            + (f" (padded to {t + 2 * padding})" if padding else ""),
            "lower kernel_size or add padding",
        )
    return (t + 2 * padding - span) // stride + 1


def _conv_shape(inputs, p):
    t, _ = expect_rank(inputs, (2,), SEQUENCE, TO_SEQUENCE)
    length = _length_out(t, p["kernel_size"], p["stride"], p["padding"], p["dilation"])
    return (length, p["out_channels"])


register(
    LayerKind(
        type="Conv1d",
        group="Convolution",
        help="1-D convolution along time (nn.Conv1d): features are its channels, [T, F] -> [T', C]",
        params=(
            Param(
                "out_channels", "int", 32, "Number of filters (output features)", min=1, max=4096
            ),
            Param("kernel_size", "int", 3, "Steps each window spans", min=1, max=63),
            Param("stride", "int", 1, "Steps between windows", min=1, max=16),
            Param("padding", "int", 0, "Zero steps added at each end", min=0, max=31),
            Param("dilation", "int", 1, "Spacing between kernel elements", min=1, max=8),
            Param("bias", "bool", True, "Learn an additive bias per filter"),
        ),
        shape=_conv_shape,
        build=lambda inputs, p: [
            f"SequenceConv1d({inputs[0][-1]}, {p['out_channels']}, "
            f"kernel_size={p['kernel_size']}, stride={p['stride']}, padding={p['padding']}, "
            f"dilation={p['dilation']}, bias={p['bias']})"
        ],
        count=lambda inputs, p: (
            inputs[0][-1] * p["out_channels"] * p["kernel_size"] + p["out_channels"] * p["bias"]
        ),
        activation=True,
        helpers=("SequenceConv1d",),
    )
)


def _pool_shape(inputs, p):
    t, f = expect_rank(inputs, (2,), SEQUENCE, TO_SEQUENCE)
    k = p["kernel_size"]
    if p["padding"] * 2 > k:
        raise ShapeError(
            f"padding {p['padding']} is more than half the kernel {k}", "lower padding"
        )
    return (_length_out(t, k, p["stride"] or k, p["padding"]), f)


def _pool_build(helper: str):
    def build(inputs, p):
        stride = p["stride"] or p["kernel_size"]
        return [
            f"{helper}(kernel_size={p['kernel_size']}, stride={stride}, padding={p['padding']})"
        ]

    return build


POOL_PARAMS = (
    Param("kernel_size", "int", 2, "Steps each window spans", min=1, max=63),
    Param(
        "stride",
        "int",
        None,
        "Steps between windows (empty: same as kernel_size)",
        min=1,
        max=16,
        nullable=True,
    ),
    Param("padding", "int", 0, "Steps added at each end", min=0, max=31),
)

for _name, _helper, _help in (
    ("MaxPool1d", "SequenceMaxPool1d", "Keeps the largest value in each window of steps"),
    ("AvgPool1d", "SequenceAvgPool1d", "Averages each window of steps: a smoother downsampling"),
):
    register(
        LayerKind(
            type=_name,
            group="Pooling",
            help=_help + " (over time: [T, F] -> [T', F])",
            params=POOL_PARAMS,
            shape=_pool_shape,
            build=_pool_build(_helper),
            helpers=(_helper,),
        )
    )


def _global_shape(inputs, p):
    shape = inputs[0]
    if len(shape) not in (2, 3):
        raise ShapeError(
            f"expects a sequence [T, F] or an image [C, H, W], got {fmt_shape(shape)}",
            "it has nothing to pool over a vector [F]; remove it",
        )
    return (shape[-1],) if len(shape) == 2 else (shape[0],)


register(
    LayerKind(
        type="GlobalPool",
        group="Pooling",
        help="Mean or max over all of time or space: [T, F] -> [F], [C, H, W] -> [C]",
        params=(
            Param("mode", "choice", "mean", "How the values are pooled", choices=("mean", "max")),
        ),
        shape=_global_shape,
        build=lambda inputs, p: [
            f"GlobalPool({p['mode']!r}, dims={(1,) if len(inputs[0]) == 2 else (2, 3)})"
        ],
        helpers=("GlobalPool",),
    )
)
