"""Turning an imported operation's arguments into a layer kind's params: the checks every
importer (torch.fx, torch.export, ONNX) shares, each raising ValueError with the reason."""

from __future__ import annotations


def square(value, name: str) -> int:
    """One int from an int or a pair of equal ones; ValueError otherwise."""
    if isinstance(value, tuple | list):
        if len(set(value)) != 1:
            raise ValueError(f"{name} {tuple(value)} is not square")
        return int(value[0])
    return int(value)


def pool_params(kernel, stride, padding) -> dict:
    """MaxPool2d/AvgPool2d params; a stride equal to the kernel is the layer's default (None)."""
    k = square(kernel, "kernel_size")
    s = square(stride, "stride") if stride not in (None, (), []) else None
    return {
        "kernel_size": k,
        "stride": None if s == k else s,
        "padding": square(padding, "padding"),
    }


def activation_params(act: str, options: dict, rank: int | None) -> dict:
    """Activation params for `act` with its options (negative_slope, dim, approximate, alpha),
    applied to tensors of `rank` dimensions (batch included)."""
    params = {"activation": act}
    if act == "leaky_relu":
        params["negative_slope"] = round(float(options.get("negative_slope", 0.01)), 6)
    if act in ("softmax", "log_softmax"):
        dim = options.get("dim", -1)
        dim = dim + rank if rank and isinstance(dim, int) and dim < 0 else dim
        expected = 1 if rank == 4 else (rank - 1 if rank else None)
        if dim != expected:
            raise ValueError(
                f"{act} over dim {options.get('dim', -1)} (the design's is {expected})"
            )
    if act == "gelu" and str(options.get("approximate", "none")).strip("b'") != "none":
        raise ValueError("only the exact GELU is supported")
    if act == "elu" and abs(float(options.get("alpha", 1.0)) - 1.0) > 1e-6:
        raise ValueError("only ELU with alpha 1 is supported")
    return params
