"""Real data files for the data and training tests: CSVs, NPZs and image ZIPs, good and broken."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import torch
from PIL import Image


def csv_bytes(rows, header=("x1", "x2", "label")) -> bytes:
    lines = [",".join(header)] + [",".join(str(c) for c in r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def blobs_csv(n=120, seed=0, text_labels=True) -> bytes:
    """Two well separated clusters: a classification CSV that trains to ~100%."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = i % 2
        x = rng.normal(3.0 * label, 0.5, 2)
        rows.append((f"{x[0]:.4f}", f"{x[1]:.4f}", ("cat", "dog")[label] if text_labels else label))
    return csv_bytes(rows)


def linear_csv(n=200, seed=0) -> bytes:
    """y = 2 x1 - x2 + noise: a regression CSV."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 2))
    y = 2 * x[:, 0] - x[:, 1] + rng.normal(0, 0.05, n)
    return csv_bytes(
        [(f"{a:.5f}", f"{b:.5f}", f"{t:.5f}") for (a, b), t in zip(x, y, strict=True)],
        header=("x1", "x2", "price"),
    )


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def png_bytes(array: np.ndarray, mode="L") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array.astype(np.uint8), mode=mode).save(buf, format="PNG")
    return buf.getvalue()


def image_zip(classes=("bright", "dark"), per_class=10, size=12, root="", rgb=False) -> bytes:
    """One folder per class; 'bright' images are light, 'dark' ones dark (learnable)."""
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for c, name in enumerate(classes):
            for i in range(per_class):
                base = 200 if c == 0 else 40
                pixels = np.clip(
                    rng.normal(base, 20, (size, size, 3) if rgb else (size, size)), 0, 255
                )
                zf.writestr(f"{root}{name}/{i}.png", png_bytes(pixels, "RGB" if rgb else "L"))
        zf.writestr(f"{root}README.txt", "not an image")
        zf.writestr("__MACOSX/._junk.png", b"junk")
    return buf.getvalue()


def one_torch_thread():
    """Small models train fastest on one thread, and a busy machine cannot oversubscribe it."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
