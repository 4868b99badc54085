"""Mosaics for the page: tiny images enlarged with square pixels, as one PNG-ready array."""

from __future__ import annotations

import numpy as np

from builder.introspect.tiling import tile_channels, tile_samples


def enlarge(image, target: int = 360) -> np.ndarray:
    """A [0, 1] image `[h, w]` or `[h, w, c]` scaled by a whole factor (nearest) to about
    `target` pixels wide, as uint8 (so 8x8 digits stay crisp instead of blurred)."""
    arr = np.clip(np.nan_to_num(np.asarray(image, dtype=np.float32)), 0.0, 1.0)
    factor = max(1, int(target // max(arr.shape[1], 1)))
    arr = np.repeat(np.repeat(arr, factor, axis=0), factor, axis=1)
    return (arr * 255).round().astype(np.uint8)


def samples_mosaic(samples, value_range=(-1.0, 1.0), target: int = 360) -> np.ndarray:
    """A batch of image samples `[N, C, H, W]` as one enlarged mosaic."""
    return enlarge(tile_samples(samples, value_range=value_range, gap=1), target)


def channels_mosaic(maps, target: int = 480) -> np.ndarray:
    """Every channel of a feature map `[C, H, W]` as one enlarged mosaic (each scaled alone)."""
    return enlarge(tile_channels(maps, gap=1, normalize="tile"), target)


def image_sample(sample, value_range=(0.0, 1.0), target: int = 160) -> np.ndarray:
    """One image sample `[C, H, W]` for display."""
    return samples_mosaic(np.asarray(sample)[None], value_range, target)
