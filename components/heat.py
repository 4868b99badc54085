"""Attributions drawn for people: a heat map over an image, a colour behind each token."""

from __future__ import annotations

import html

import numpy as np

from components.images import enlarge


def _unit(values) -> np.ndarray:
    arr = np.nan_to_num(np.asarray(values, dtype=np.float32))
    low, high = float(arr.min()), float(arr.max())
    return (arr - low) / (high - low) if high > low else np.zeros_like(arr)


def heat_over_image(sample, heat, target: int = 240) -> np.ndarray:
    """The image `[C, H, W]` in grey with `heat` `[H, W]` (or per channel, summed) in red on top."""
    image = np.asarray(sample, dtype=np.float32)
    grey = _unit(image.mean(axis=0))
    heat = np.abs(np.asarray(heat, dtype=np.float32))
    if heat.ndim == 3:
        heat = heat.sum(axis=0)
    heat = _unit(heat)
    rgb = np.stack([grey * 0.5 + heat * 0.5, grey * 0.5, grey * 0.5 * (1 - heat)], axis=-1)
    return enlarge(rgb, target)


def tokens_html(pieces: list[str], values) -> str:
    """Tokens on a background red for evidence for the class, blue against (text escaped)."""
    values = np.nan_to_num(np.asarray(values, dtype=np.float32))
    scale = float(np.abs(values).max()) or 1.0
    spans = []
    for piece, value in zip(pieces, values, strict=False):
        share = min(1.0, abs(float(value)) / scale)
        colour = "220, 50, 47" if value >= 0 else "38, 139, 210"
        text = html.escape(piece).replace("\n", "↵")
        spans.append(
            f'<span title="{float(value):+.3g}" style="background: rgba({colour}, {share:.2f}); '
            f'white-space: pre; font-family: monospace">{text}</span>'
        )
    return '<div style="line-height: 1.8">' + "".join(spans) + "</div>"
