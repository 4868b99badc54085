"""Integrated Gradients' starting points: what "no evidence" looks like for an input."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from builder.errors import DesignError

BASELINES = ("zeros", "mean", "blur")
BLUR_SIGMA = 1.5  # in input cells: enough to wash out strokes of an 8x8 or 28x28 image


def _gaussian(sigma: float) -> torch.Tensor:
    radius = max(1, int(round(3 * sigma)))
    steps = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(steps**2) / (2 * sigma**2))
    return kernel / kernel.sum()


def blurred(x: torch.Tensor, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """x [1, C, L] or [1, C, H, W] blurred along its spatial axes (edges repeated)."""
    kernel = _gaussian(sigma)
    channels, radius, spatial = x.shape[1], kernel.numel() // 2, x.dim() - 2
    conv = F.conv1d if spatial == 1 else F.conv2d
    out = x
    for axis in range(spatial):  # a Gaussian is separable: one 1-D pass per axis
        shape = [1] * spatial
        shape[axis] = kernel.numel()
        weight = kernel.reshape(1, 1, *shape).repeat(channels, 1, *[1] * spatial)
        pad = [0, 0] * spatial
        pad[2 * (spatial - 1 - axis)] = pad[2 * (spatial - 1 - axis) + 1] = radius
        out = conv(F.pad(out, pad, mode="replicate"), weight, groups=channels)
    return out


def baseline_for(name: str, x: torch.Tensor, x_train: np.ndarray | None) -> torch.Tensor:
    """The baseline `name` for sample x [1, *shape]; `x_train` gives the data's mean."""
    if name == "zeros":
        return torch.zeros_like(x)
    if name == "mean":
        if x_train is None or len(x_train) == 0:
            raise DesignError("the 'mean' baseline needs the training data; none was given")
        return torch.as_tensor(np.asarray(x_train, dtype=np.float32).mean(axis=0)).unsqueeze(0)
    if name == "blur":
        if x.dim() not in (3, 4):
            raise DesignError(
                f"the 'blur' baseline needs an image [C, H, W] or a signal [C, L]; this input "
                f"is {list(x.shape[1:])} (use zeros or mean)"
            )
        return blurred(x)
    raise DesignError(f"baseline must be one of {', '.join(BASELINES)}, got {name!r}")
