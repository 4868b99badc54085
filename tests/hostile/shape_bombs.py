"""Small uploads that a design shapes huge: a few KB of file, gigabytes of arrays if the Input's
shape were taken on trust.  Each maker returns (file name, bytes, data kind, task, the design's
Input shape, the layers after the Input, what the refusal must say); made here, never collected."""

from __future__ import annotations

import io
import zipfile

import numpy as np
from PIL import Image

from tests.hostile.corpus import design


def one_pixel_zip(count: int = 80, junk: int = 0) -> bytes:
    """`count` one-pixel PNGs in two class folders (about 12 KB for 80), and `junk` stored bytes
    that are no image (they make the file larger, as a real upload of that size would be)."""
    buf = io.BytesIO()
    pixel = io.BytesIO()
    Image.fromarray(np.full((1, 1), 128, np.uint8)).save(pixel, format="PNG")
    with zipfile.ZipFile(buf, "w") as archive:
        for i in range(count):
            archive.writestr(f"{('light', 'dark')[i % 2]}/{i}.png", pixel.getvalue())
        if junk:
            noise = np.random.default_rng(0).integers(0, 256, junk, dtype=np.uint8).tobytes()
            archive.writestr("notes.txt", noise, compress_type=zipfile.ZIP_STORED)
    return buf.getvalue()


def text_csv(rows: int = 40) -> bytes:
    """About 1 KB of short texts and two labels: text to classify."""
    lines = ["text,label"] + [f"short text {i},{('yes', 'no')[i % 2]}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def compressed_npz(samples: int = 15, side: int = 2048) -> bytes:
    """X of uint8 zeros [N, 1, side, side]: under the unpack limit as bytes (60 MiB for 15),
    four times that as the float32 it is read into; a compressed file of about 60 KB."""
    buf = io.BytesIO()
    x = np.zeros((samples, 1, side, side), np.uint8)
    np.savez_compressed(buf, X=x, y=np.arange(samples) % 2)
    return buf.getvalue()


def story(chars: int = 60_000) -> bytes:
    words = ("the", "cat", "sat", "on", "a", "mat", "and", "then", "ran", "off")
    text = " ".join(words[i % len(words)] for i in range(chars // 4))
    return text[:chars].encode()


def numbers_csv(rows: int = 40) -> bytes:
    lines = ["x1,x2,label"] + [f"{i % 7}.5,{i % 3}.25,{i % 2}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def image_layers(shape):
    return [("in", "Input", {"shape": shape}), ("flat", "Flatten", {}),
            ("out", "Dense", {"out_features": 2})]  # fmt: skip


def token_layers(shape, vocab=64):
    return [
        ("in", "Input", {"shape": shape}),
        ("embed", "Embedding", {"num_embeddings": vocab, "embedding_dim": 1}),
        ("flat", "Flatten", {}),
        ("out", "Dense", {"out_features": 2}),
    ]


def lm_layers(shape, vocab=64):
    return [
        ("in", "Input", {"shape": shape}),
        ("embed", "Embedding", {"num_embeddings": vocab, "embedding_dim": 4}),
        ("out", "Dense", {"out_features": vocab}),
    ]


# name: (file name, maker, data kind, task, Input shape, layers, what the refusal says)
BOMBS = {
    "image_zip": (
        "tiny.zip", one_pixel_zip, "images", "classification", [1, 2048, 2048], image_layers,
        ["'in'", "[1, 2048, 2048]", "80 samples", "1.2 GiB", "64 MiB"],
    ),
    "text_csv": (
        "short.csv", text_csv, "csv", "classification", [8_000_000], token_layers,
        ["'in'", "[8000000]", "40 samples", "2.4 GiB", "64 MiB"],
    ),
    "npz": (
        "zeros.npz", compressed_npz, "npz", "classification", [1, 2048, 2048], image_layers,
        ["15 samples", "[1, 2048, 2048]", "240 MiB", "64 MiB"],
    ),
}  # fmt: skip


def bomb_design(case: str, path: str) -> dict:
    """The design that shapes the bomb `case`, reading its file at `path`."""
    name, _, kind, task, shape, layers, _ = BOMBS[case]
    dataset = {"type": kind, "path": path}
    if case == "text_csv":
        dataset["text"] = "text"
    training = {"task": task, "dataset": dataset, "batch_size": 1, "epochs": 1}
    return design(layers(shape), training)
