"""Hostile files and designs, made here (never collected): each one a way a person could try to
harm the server or the people sharing it. Every maker returns bytes or a design dict."""

from __future__ import annotations

import io
import zipfile

import numpy as np
from PIL import Image

from tests.builder.helpers import chain_design


def design(layers, training=None, name="hostile", layout=None) -> dict:
    made = chain_design(*layers, name=name, training=training)
    made["layout"] = layout or {}
    return made


def mlp(training=None, **top) -> dict:
    layers = [("in", "Input", {"shape": [2]}), ("out", "Dense", {"out_features": 2})]
    return design(layers, training, **top)


def memory_bomb() -> dict:
    """31k parameters that would need gigabytes: upsample twice by 16, a 1x1 conv, pooling."""
    layers = [
        ("in", "Input", {"shape": [1, 8, 8]}),
        ("up1", "Upsample", {"scale_factor": 16}),
        ("up2", "Upsample", {"scale_factor": 16}),
        ("wide", "Conv2d", {"out_channels": 64, "kernel_size": 1}),
        ("pool", "MaxPool2d", {"kernel_size": 16}),
        ("pool2", "MaxPool2d", {"kernel_size": 16}),
        ("flat", "Flatten", {}),
        ("out", "Dense", {"out_features": 10}),
    ]
    return design(layers, {"dataset": "digits"})


def many_outputs(count: int) -> dict:
    nodes = [{"id": "in", "type": "Input", "params": {"shape": [2]}}]
    nodes += [{"id": f"o{i}", "type": "Dense", "params": {"out_features": 1}} for i in range(count)]
    edges = [["in", f"o{i}"] for i in range(count)]
    return {"version": 1, "name": "outputs", "models": {"model": {"nodes": nodes, "edges": edges}}}


def zip_of(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def npz_bomb(unpacked_mb: int = 300) -> bytes:
    """An NPZ of a few hundred KB whose X unpacks to `unpacked_mb` MB of zeros."""
    count = unpacked_mb * 2**20 // 4 // 64
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (count, 64)}
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("X.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            zeros = bytes(2**20)
            for _ in range(unpacked_mb):
                member.write(zeros)
        archive.writestr("y.npy", npy(np.zeros(count, dtype=np.int64)[:10]))
    return buf.getvalue()


def npz_declaring(shape) -> bytes:
    """An NPZ whose X header declares `shape` but holds almost nothing."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": tuple(shape)}
    )
    return zip_of({"X.npy": header.getvalue() + bytes(64), "y.npy": npy(np.zeros(4))})


def npz_pickle() -> bytes:
    """An NPZ member that is a raw pickle, not an array."""
    return zip_of({"X.npy": b"\x80\x04\x95cos\nsystem\n.", "y.npy": npy(np.zeros(2))})


def npz_scalar_y() -> bytes:
    return zip_of({"X.npy": npy(np.zeros((4, 2), np.float32)), "y.npy": npy(np.array(5))})


def flagged_zip(flag: int = 0, method: int | None = None) -> bytes:
    """A ZIP of class folders whose headers claim encryption (flag 0x1) or another method."""
    data = bytearray(zip_of({f"a/{i}.png": png(8) for i in range(2)} | {"b/0.png": png(8)}))
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            data[at + flag_at] |= flag
            if method is not None:
                data[at + method_at : at + method_at + 2] = method.to_bytes(2, "little")
            start = at + 4
    return bytes(data)


def corrupt_zip() -> bytes:
    data = bytearray(zip_of({f"a/{i}.png": png(8) for i in range(2)} | {"b/0.png": png(8)}))
    data[40:60] = bytes(20)
    return bytes(data)


def png(size: int, width: int | None = None) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width or size, size)).save(buf, format="PNG")
    return buf.getvalue()


def huge_image_zip() -> bytes:
    """Blank 7000x7000 images: a few KB each, 49 million pixels each once decoded."""
    big = png(7000)
    return zip_of({f"{c}/{i}.png": big for c in ("a", "b") for i in range(100)}, zipfile.ZIP_STORED)


def many_pixels_zip() -> bytes:
    """Images each within the size limit, together over the total-pixels limit."""
    image = png(3000)
    return zip_of(
        {f"{c}/{i}.png": image for c in ("a", "b") for i in range(13)}, zipfile.ZIP_STORED
    )


def csv_classes(count: int) -> bytes:
    return ("a,label\n" + "".join(f"{i},c{i}\n" for i in range(count))).encode()


def csv_nan_target() -> bytes:
    return (
        "a,b,y\n" + "".join(f"{i},{i % 3},{'nan' if i == 5 else i}\n" for i in range(40))
    ).encode()
