"""Convolution, transposed convolution, pooling and upsampling over images [C, H, W]."""

from __future__ import annotations

import math

from builder.errors import ShapeError
from builder.layers.registry import LayerKind, expect_rank, register
from builder.params import Param

IMAGE = "[C, H, W]"
TO_IMAGE = "insert Reshape to [C, H, W] before it"


def _kernel(default: int) -> Param:
    return Param("kernel_size", "int", default, "Side of the square window", min=1, max=31)


def _padding(default: int = 0) -> Param:
    return Param("padding", "int", default, "Zeros added on each border", min=0, max=31)


def _conv_out(size: int, p: dict, kernel: int) -> int:
    span = p.get("dilation", 1) * (kernel - 1) + 1
    padded = size + 2 * p["padding"]
    if padded < span:
        raise ShapeError(
            f"kernel {span}x{span} is larger than its input {size}x{size}"
            + (f" (padded to {padded}x{padded})" if p["padding"] else ""),
            "lower kernel_size or add padding",
        )
    return (padded - span) // p["stride"] + 1


def _conv_shape(inputs, p):
    c, h, w = expect_rank(inputs, (3,), IMAGE, TO_IMAGE)
    return (p["out_channels"], _conv_out(h, p, p["kernel_size"]), _conv_out(w, p, p["kernel_size"]))


def _conv_args(inputs, p, extra: str = "") -> str:
    return (
        f"{inputs[0][0]}, {p['out_channels']}, kernel_size={p['kernel_size']}, "
        f"stride={p['stride']}, padding={p['padding']}{extra}, "
        f"dilation={p['dilation']}, bias={p['bias']}"
    )


def _conv_count(inputs, p):
    k = p["kernel_size"]
    return inputs[0][0] * p["out_channels"] * k * k + p["out_channels"] * p["bias"]


CONV_PARAMS = (
    Param("out_channels", "int", 16, "Number of filters (output channels)", min=1, max=4096),
    _kernel(3),
    Param("stride", "int", 1, "Step between windows", min=1, max=16),
    _padding(0),
    Param("dilation", "int", 1, "Spacing between kernel elements", min=1, max=8),
    Param("bias", "bool", True, "Learn an additive bias per channel"),
)

register(
    LayerKind(
        type="Conv2d",
        group="Convolution",
        help="2-D convolution: slides learned filters over an image",
        params=CONV_PARAMS,
        shape=_conv_shape,
        build=lambda inputs, p: [f"nn.Conv2d({_conv_args(inputs, p)})"],
        count=_conv_count,
        activation=True,
    )
)


def _deconv_out(size: int, p: dict) -> int:
    return (
        (size - 1) * p["stride"]
        - 2 * p["padding"]
        + p["dilation"] * (p["kernel_size"] - 1)
        + p["output_padding"]
        + 1
    )


def _deconv_shape(inputs, p):
    c, h, w = expect_rank(inputs, (3,), IMAGE, TO_IMAGE)
    if p["output_padding"] >= max(p["stride"], p["dilation"]):
        raise ShapeError(
            f"output_padding {p['output_padding']} must be smaller than stride or dilation",
            "lower output_padding",
        )
    out_h, out_w = _deconv_out(h, p), _deconv_out(w, p)
    if out_h < 1 or out_w < 1:
        raise ShapeError(f"output would be {out_h}x{out_w} from input {h}x{w}", "lower padding")
    return (p["out_channels"], out_h, out_w)


register(
    LayerKind(
        type="ConvTranspose2d",
        group="Convolution",
        help="Transposed convolution: learned upsampling of an image (generators, decoders)",
        params=CONV_PARAMS[:4]
        + (Param("output_padding", "int", 0, "Extra rows/columns on one side", min=0, max=15),)
        + CONV_PARAMS[4:],
        shape=_deconv_shape,
        build=lambda inputs, p: [
            "nn.ConvTranspose2d("
            + _conv_args(inputs, p, ", output_padding=" + str(p["output_padding"]))
            + ")"
        ],
        count=_conv_count,
        activation=True,
    )
)


def _pool_shape(inputs, p):
    c, h, w = expect_rank(inputs, (3,), IMAGE, TO_IMAGE)
    k = p["kernel_size"]
    if p["padding"] * 2 > k:
        raise ShapeError(
            f"padding {p['padding']} is more than half the kernel {k}", "lower padding"
        )
    full = {**p, "stride": p["stride"] or k, "dilation": 1}
    return (c, _conv_out(h, full, k), _conv_out(w, full, k))


def _pool_build(module: str):
    def build(inputs, p):
        stride = p["stride"] or p["kernel_size"]
        return [
            f"nn.{module}(kernel_size={p['kernel_size']}, stride={stride}, padding={p['padding']})"
        ]

    return build


POOL_PARAMS = (
    _kernel(2),
    Param(
        "stride",
        "int",
        None,
        "Step between windows (empty: same as kernel_size)",
        min=1,
        max=16,
        nullable=True,
    ),
    _padding(0),
)

for _name, _help in (
    ("MaxPool2d", "Keeps the largest value in each window: downsamples an image"),
    ("AvgPool2d", "Averages each window: downsamples an image smoothly"),
):
    register(
        LayerKind(
            type=_name,
            group="Pooling",
            help=_help,
            params=POOL_PARAMS,
            shape=_pool_shape,
            build=_pool_build(_name),
        )
    )


def _upsample_shape(inputs, p):
    c, h, w = expect_rank(inputs, (3,), IMAGE, TO_IMAGE)
    s = p["scale_factor"]
    return (c, math.floor(h * s), math.floor(w * s))


register(
    LayerKind(
        type="Upsample",
        group="Convolution",
        help="Enlarges an image by a factor, without learned weights",
        params=(
            Param("scale_factor", "float", 2.0, "How many times larger", min=1, max=16),
            Param(
                "mode",
                "choice",
                "nearest",
                "How new pixels are filled",
                choices=("nearest", "bilinear"),
            ),
        ),
        shape=_upsample_shape,
        build=lambda inputs, p: [
            f"nn.Upsample(scale_factor={float(p['scale_factor'])!r}, mode={p['mode']!r})"
        ],
    )
)
