"""Mosaics for the page: tiny images enlarged with square pixels, as one PNG-ready array."""

from __future__ import annotations

import numpy as np

from builder.introspect.tiling import grid_size, tile_channels, tile_samples


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


def shrink(samples, size: int) -> np.ndarray:
    """Images `[N, C, H, W]` with each side at most about `size` pixels, by block means: a
    preview never draws more pixels than it shows."""
    arr = np.asarray(samples, dtype=np.float32)
    n, c, h, w = arr.shape
    kh, kw = max(1, -(-h // max(size, 1))), max(1, -(-w // max(size, 1)))
    if kh == 1 and kw == 1:
        return arr
    h2, w2 = max(1, h // kh), max(1, w // kw)
    kh, kw = min(kh, h), min(kw, w)
    arr = arr[:, :, : h2 * kh, : w2 * kw]
    return arr.reshape(n, c, h2, kh, w2, kw).mean(axis=(3, 5))


def preview_mosaic(samples, value_range=(0.0, 1.0), width: int = 240) -> np.ndarray:
    """A few image samples `[N, C, H, W]` as one mosaic about `width` pixels wide: small ones
    enlarged with square pixels, large ones shrunk first."""
    _, columns = grid_size(len(samples))
    return samples_mosaic(shrink(samples, max(1, width // columns)), value_range, width)
