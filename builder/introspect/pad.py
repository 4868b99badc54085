"""A drawing, scaled to the Input and prepared exactly as the design's training images were.

The pad gives PAD_SIZE x PAD_SIZE ink levels (white ink on black). For the digits data set the
drawing becomes what the digits were made from: a 32x32 bitmap counted in 4x4 blocks (0..16,
then divided by 16). For an image ZIP it goes through the ZIP reader's own steps: an 8-bit
image of the Input's mode, resized bilinearly to the Input, divided by 255.
"""

from __future__ import annotations

import base64
import binascii

import numpy as np

from builder.errors import DesignError
from builder.introspect.samples import input_shape

PAD_SIZE = 256


def ink_from_text(text: str) -> np.ndarray:
    """The pad's base64 bytes as ink levels [PAD_SIZE, PAD_SIZE] in [0, 1]; anything else refused."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise DesignError("the drawing could not be read (not base64)") from None
    if len(raw) != PAD_SIZE * PAD_SIZE:
        raise DesignError(f"the drawing holds {len(raw)} values, expected {PAD_SIZE * PAD_SIZE}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(PAD_SIZE, PAD_SIZE) / 255.0


def _blocks(values: np.ndarray, size: int) -> np.ndarray:
    """[S, S] -> [size, size] means of equal square blocks."""
    step = values.shape[0] // size
    return values.reshape(size, step, size, step).mean(axis=(1, 3))


def pad_to_input(ink: np.ndarray, design) -> np.ndarray:
    """Ink [PAD_SIZE, PAD_SIZE] in [0, 1] as one sample of the design's Input [C, H, W]."""
    shape = input_shape(design)
    training = design.training or {}
    dataset = training.get("dataset")
    if not shape or len(shape) != 3:
        raise DesignError(f"the pad draws images; this Input is {shape}, not [C, H, W]")
    if dataset == "digits":
        if shape != [1, 8, 8]:
            raise DesignError(f"the digits are [1, 8, 8]; this Input is {shape}")
        bitmap = _blocks(ink, 32) >= 0.5  # the digits were 32x32 bitmaps
        return _blocks(bitmap.astype(np.float32), 8)[None].astype(np.float32)  # counts / 16
    if isinstance(dataset, dict) and dataset.get("type") == "images":
        from PIL import Image  # deferred on purpose: only image data sets need Pillow

        channels, height, width = shape
        modes = {1: "L", 3: "RGB", 4: "RGBA"}
        if channels not in modes:
            raise DesignError(f"an image Input has 1, 3 or 4 channels, not {channels}")
        grey = Image.fromarray(np.round(ink * 255).astype(np.uint8), mode="L")
        img = grey.convert(modes[channels]).resize((width, height), Image.BILINEAR)
        pixels = np.asarray(img, dtype=np.float32) / 255.0
        return pixels.reshape(height, width, channels).transpose(2, 0, 1).copy()
    raise DesignError(
        f"the pad draws for the digits data set and image ZIPs; this design trains on {dataset!r}"
    )
