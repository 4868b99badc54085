"""The pad's drawing reaches the model prepared exactly as the training images were."""

from __future__ import annotations

import base64
import io
import zipfile

import numpy as np
import pytest
from PIL import Image

import builder
from builder.data.readers import read_image_zip
from builder.data.sources import digits_data
from builder.design.presets import load_preset
from builder.errors import DesignError
from builder.introspect.pad import PAD_SIZE, ink_from_text, pad_to_input
from tests.builder.helpers import chain_design


def test_a_drawn_digit_bitmap_gives_the_digits_values():
    x, _, _ = digits_data()
    design = load_preset("lenet_digits")
    for sample in x[:20]:
        counts = np.round(sample[0] * 16).astype(int)  # ones per 4x4 block of the 32x32 bitmap
        bitmap = np.zeros((32, 32))
        for r in range(8):
            for c in range(8):
                block = np.zeros(16)
                block[: counts[r, c]] = 1
                bitmap[4 * r : 4 * r + 4, 4 * c : 4 * c + 4] = block.reshape(4, 4)
        ink = np.kron(bitmap, np.ones((PAD_SIZE // 32, PAD_SIZE // 32)))
        np.testing.assert_array_equal(pad_to_input(ink, design), sample)


@pytest.mark.parametrize("shape", [[1, 12, 12], [3, 10, 7]])
def test_a_drawing_for_an_image_zip_design_equals_the_zip_reader(shape):
    rng = np.random.default_rng(0)
    ink = np.round(rng.random((PAD_SIZE, PAD_SIZE)) * 255) / 255
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("a/drawing.png", "b/other.png"):
            png = io.BytesIO()
            Image.fromarray(np.round(ink * 255).astype(np.uint8), mode="L").save(png, "PNG")
            archive.writestr(name, png.getvalue())
    x, _, _ = read_image_zip(buffer.getvalue(), "drawn.zip", tuple(shape))
    design = chain_design(
        ("in", "Input", {"shape": shape}),
        ("flat", "Flatten", {}),
        ("out", "Dense", {"out_features": 2}),
        training={"dataset": {"type": "images", "path": "drawn.zip"}},
    )
    np.testing.assert_array_equal(pad_to_input(ink, builder.load_design(design)), x[0])


def test_the_pad_text_is_checked():
    ink = ink_from_text(base64.b64encode(bytes(PAD_SIZE * PAD_SIZE)).decode())
    assert ink.shape == (PAD_SIZE, PAD_SIZE) and ink.max() == 0
    with pytest.raises(DesignError, match="not base64"):
        ink_from_text("%%%")
    with pytest.raises(DesignError, match="holds 3 values"):
        ink_from_text(base64.b64encode(b"abc").decode())
    with pytest.raises(DesignError, match=r"this Input is \[2\], not \[C, H, W\]"):
        pad_to_input(np.zeros((PAD_SIZE, PAD_SIZE)), load_preset("mlp_moons"))
    npz = load_preset("lenet_digits").with_training(dataset={"type": "npz", "path": "x.npz"})
    with pytest.raises(DesignError, match="digits data set and image ZIPs"):
        pad_to_input(np.zeros((PAD_SIZE, PAD_SIZE)), npz)
