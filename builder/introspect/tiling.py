"""Tiling: many small images into one mosaic, so a page draws a whole grid as one image.

`tile_channels` lays out the channels of one feature map `[C, H, W]`; `tile_samples` lays out a
batch of images `[N, C, H, W]` (a GAN's samples).  Tiles sit on a near-square grid with a gap of
`gap` pixels (value `fill`) between them; the result's values are in [0, 1].
"""

from __future__ import annotations

import math

import numpy as np

NORMALIZE = ("tile", "global", "range")


def grid_size(count: int, columns: int | None = None) -> tuple[int, int]:
    """(rows, columns) of a near-square grid for `count` tiles."""
    if count < 1:
        raise ValueError("nothing to tile: the array holds no images")
    cols = columns or math.ceil(math.sqrt(count))
    cols = max(1, min(int(cols), count))
    return math.ceil(count / cols), cols


def tile_channels(
    maps,
    *,
    columns: int | None = None,
    gap: int = 1,
    fill: float = 1.0,
    normalize: str = "tile",
) -> np.ndarray:
    """One 2-D mosaic `[rows*H + gaps, cols*W + gaps]` of a feature map's channels `[C, H, W]`.

    Each tile is scaled to [0, 1] on its own (`normalize="tile"`, so weak channels stay
    visible), or all tiles together (`"global"`, so channels compare).  A `[H, W]` map is one
    tile; a vector `[F]` is shown as one row.
    """
    arr = np.asarray(maps, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, None, :]
    elif arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(f"tile_channels expects [C, H, W], got shape {list(arr.shape)}")
    tiles = _normalize(arr, normalize, None)
    return _mosaic(tiles, columns, gap, fill)


def tile_samples(
    samples,
    *,
    columns: int | None = None,
    gap: int = 1,
    fill: float = 1.0,
    normalize: str = "range",
    value_range: tuple[float, float] = (-1.0, 1.0),
) -> np.ndarray:
    """One mosaic of a batch of images `[N, C, H, W]`: `[h, w]` for C=1, `[h, w, 3]` RGB for C=3
    (`[h, w, 4]` RGBA for C=4).

    By default values are mapped from `value_range` (GAN samples are in [-1, 1]) to [0, 1] and
    clipped, so the same noise shows honestly how the samples change; `normalize="tile"` scales
    each sample on its own instead.
    """
    arr = np.asarray(samples, dtype=np.float32)
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4:
        raise ValueError(f"tile_samples expects images [N, C, H, W], got shape {list(arr.shape)}")
    channels = arr.shape[1]
    if channels not in (1, 3, 4):
        raise ValueError(
            f"samples with {channels} channels are not images (1, 3 or 4 channels); "
            "show one sample's channels with tile_channels instead"
        )
    tiles = _normalize(arr, normalize, value_range)  # [N, C, H, W] in [0, 1]
    if channels == 1:
        return _mosaic(tiles[:, 0], columns, gap, fill)
    planes = [_mosaic(tiles[:, c], columns, gap, fill) for c in range(channels)]
    return np.stack(planes, axis=-1)


def _normalize(arr: np.ndarray, how: str, value_range) -> np.ndarray:
    if how not in NORMALIZE:
        raise ValueError(f"normalize must be one of {', '.join(NORMALIZE)}, got {how!r}")
    arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
    if how == "range":
        low, high = value_range
        return np.clip((arr - low) / max(high - low, 1e-12), 0.0, 1.0)
    axes = tuple(range(1, arr.ndim)) if how == "tile" else None
    low = arr.min(axis=axes, keepdims=True)
    span = arr.max(axis=axes, keepdims=True) - low
    safe = np.where(span > 1e-12, span, 1.0)
    return np.where(span > 1e-12, (arr - low) / safe, 0.0).astype(np.float32)


def _mosaic(tiles: np.ndarray, columns, gap: int, fill: float) -> np.ndarray:
    count, height, width = tiles.shape
    rows, cols = grid_size(count, columns)
    gap = max(0, int(gap))
    out = np.full(
        (rows * height + (rows - 1) * gap, cols * width + (cols - 1) * gap), fill, np.float32
    )
    for i in range(count):
        r, c = divmod(i, cols)
        top, left = r * (height + gap), c * (width + gap)
        out[top : top + height, left : left + width] = tiles[i]
    return out
