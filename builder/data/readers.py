"""Readers for user files: NPZ and ZIPs of image folders (CSV: `csv_table.py`), and labels
made into classes.

Every reader takes the file's bytes and its name (the bytes are never written anywhere, so paths
inside archives cannot escape) and raises `DataError` with a message naming the file, the row or
the column.  Sizes are checked before anything is unpacked.  Copied verbatim into exported
`train.py` scripts, like `sources.py`: keep these functions self-contained.
"""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np

from builder.data.budget import check_array_bytes
from builder.data.sources import DataError

MAX_CLASSES = 1_000  # distinct class labels in any data set
MAX_IMAGE_PIXELS = 4096 * 4096  # one image, read from its header before it is decoded
MAX_TOTAL_PIXELS = 200_000_000  # every image of a ZIP together, decoded


def _label_number(text):
    """A label as a number: an exact int for a whole one ("12", "1e3", "4.0"; Python ints,
    never int64, so labels past 2**63 stay distinct instead of overflowing into one another),
    a float for any other number, None for text."""
    text = str(text).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number == math.floor(number) else number


def _classes(values, name, column):
    """Turn a column of labels (text or whole numbers) into class indices and sorted names."""
    numbers = [_label_number(v) for v in values]
    if numbers and None not in numbers:
        if not all(isinstance(v, int) for v in numbers):
            raise DataError(
                f"{name}: target column {column!r} holds fractional numbers, which cannot be "
                "classes: set the task to regression, or use whole numbers or text labels"
            )
        uniq = sorted(set(numbers))
        if len(uniq) > MAX_CLASSES:
            raise DataError(
                f"{name}: {column!r} holds {len(uniq):,} distinct classes, more than {MAX_CLASSES:,}; "
                "for numbers, set the task to regression"
            )
        index = {v: i for i, v in enumerate(uniq)}
        return np.array([index[v] for v in numbers], dtype=np.int64), [str(v) for v in uniq]
    names = sorted(set(values))
    if len(names) > MAX_CLASSES:
        raise DataError(
            f"{name}: {column!r} holds {len(names):,} distinct classes, more than {MAX_CLASSES:,}"
        )
    index = {v: i for i, v in enumerate(names)}
    return np.array([index[v] for v in values], dtype=np.int64), names


def read_npz(data, name, task="classification", max_unpacked=1 << 30, max_arrays=None):
    """An .npz holding arrays `X` (samples) and `y` (targets; optional for a GAN).

    Sizes come from the arrays' headers before anything is unpacked: each array within
    `max_unpacked` bytes, and X as float32 within `max_arrays` (None: no limit)."""
    if not data:
        raise DataError(f"{name}: the file is empty")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DataError(f"{name}: this is not an .npz file (not a zip archive of arrays)") from None
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > max_unpacked:
        raise DataError(
            f"{name}: unpacks to {unpacked / 2**20:.0f} MiB, more than the limit of "
            f"{max_unpacked / 2**20:.0f} MiB"
        )
    for info in archive.infolist():
        shape, dtype = _declared_array(archive, info, name)
        declared = dtype.itemsize
        for size in shape:
            declared *= int(size)
        if declared > max_unpacked:
            raise DataError(
                f"{name}: array {info.filename!r} declares {declared / 2**20:,.0f} MiB, more "
                f"than the limit of {max_unpacked / 2**20:.0f} MiB"
            )
        if info.filename == "X.npy" and len(shape) >= 1:  # read as float32, whatever it holds
            check_array_bytes(name, shape[0], shape[1:], 4, max_arrays)
    arrays = np.load(io.BytesIO(data), allow_pickle=False)
    keys = set(arrays.files)
    x = arrays["X"] if "X" in keys else None
    y = arrays["y"] if "y" in keys else None
    if x is None or (y is None and task != "gan"):
        missing = [k for k, v in (("X", x), ("y", y)) if v is None]
        raise DataError(
            f"{name}: missing array {' and '.join(missing)}; found: {', '.join(sorted(keys)) or 'none'}"
            "; save with np.savez(path, X=samples, y=targets)"
        )
    if x.dtype.kind not in "fiub" or x.ndim < 2:
        raise DataError(
            f"{name}: X must be a numeric array of shape [N, ...], got {x.dtype} of shape "
            f"{list(x.shape)}"
        )
    if len(x) == 0:
        raise DataError(f"{name}: X holds no samples")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        bad = int(np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))[0])
        raise DataError(f"{name}: X holds NaN or infinite values (first in sample {bad})")
    if y is None:
        return x, None, None
    if y.ndim == 0:
        raise DataError(f"{name}: y must hold one target per sample, got a single value")
    if len(y) != len(x):
        raise DataError(f"{name}: X has {len(x)} samples but y has {len(y)}; they must match")
    if task in ("regression", "forecasting"):
        if y.dtype.kind not in "fiub":
            raise DataError(f"{name}: y must hold numbers for regression, got {y.dtype}")
        y = y.astype(np.float32).reshape(len(y), -1)
        if not np.all(np.isfinite(y)):
            raise DataError(f"{name}: y holds NaN or infinite values")
        return x, y, None
    if y.ndim != 1:
        raise DataError(f"{name}: y must be one label per sample, shape [N], got {list(y.shape)}")
    if y.dtype.kind not in "iubfUS":
        raise DataError(f"{name}: y must hold whole numbers or text labels, got {y.dtype}")
    labels, class_names = _classes([str(v) for v in y.tolist()], name, "y")
    return x, labels, class_names


def _declared_array(archive, info, name):
    """(shape, dtype) an .npy member says it holds, read from its header alone."""
    if not info.filename.endswith(".npy"):
        raise DataError(f"{name}: {info.filename!r} is not a numpy array (.npy)")
    with archive.open(info) as handle:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
    if dtype.hasobject:
        raise DataError(
            f"{name}: array {info.filename!r} holds Python objects; only numbers are read"
        )
    return shape, dtype


IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def read_image_zip(data, name, shape, gan=False, max_unpacked=1 << 30, max_images=100_000,
                   max_arrays=None):  # fmt: skip
    """A ZIP with one folder per class -> images [N, C, H, W] in [0, 1] ([-1, 1] for a GAN).

    The images take the Input's shape: N x C x H x W float32 is checked against `max_arrays`
    bytes (None: no limit) before any image is decoded, and each image's size is read from its
    header before it is (Pillow's own process-wide limit is left as it is)."""
    from PIL import Image  # deferred on purpose: only image data sets need Pillow

    channels, height, width = shape
    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    if channels not in modes:
        raise DataError(
            f"{name}: images can have 1, 3 or 4 channels; the Input asks for {channels}"
        )
    if not data:
        raise DataError(f"{name}: the file is empty")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise DataError(f"{name}: this is not a ZIP archive") from None
    images = []
    for info in members:
        path = info.filename.replace("\\", "/")
        parts = [p for p in path.split("/") if p]
        if info.is_dir() or not parts or parts[0] == "__MACOSX" or parts[-1].startswith("."):
            continue
        if parts[-1].lower().endswith(IMAGE_EXTENSIONS):
            images.append((parts, info))
    if not images:
        raise DataError(
            f"{name}: the ZIP holds no images ({', '.join(IMAGE_EXTENSIONS)}); put one folder per "
            "class with its images inside"
        )
    if len(images) > max_images:
        raise DataError(f"{name}: {len(images)} images, more than the limit of {max_images}")
    check_array_bytes(name, len(images), shape, 4, max_arrays, shaped_by="the Input")
    unpacked = sum(info.file_size for _, info in images)
    if unpacked > max_unpacked:
        raise DataError(
            f"{name}: the images unpack to {unpacked / 2**20:.0f} MiB, more than the limit of "
            f"{max_unpacked / 2**20:.0f} MiB"
        )
    common = list(images[0][0][:-1])
    for parts, _ in images:
        n = 0
        while n < min(len(common), len(parts) - 1) and common[n] == parts[n]:
            n += 1
        common = common[:n]
    if len(common) == len(images[0][0]) - 1 and not gan:
        common = common[:-1]
    labels, names = (
        [],
        sorted({parts[len(common)] for parts, _ in images if len(parts) > len(common) + 1}),
    )
    if not names and not gan:
        raise DataError(
            f"{name}: images must sit in one folder per class, e.g. cats/1.png, dogs/2.png"
        )
    index = {n: i for i, n in enumerate(names)}
    x = np.empty((len(images), channels, height, width), dtype=np.float32)
    total_pixels = 0
    for i, (parts, info) in enumerate(images):
        rest = parts[len(common) :]
        if len(rest) < 2 and not gan:
            raise DataError(f"{name}: image {info.filename!r} is not inside a class folder")
        with archive.open(info) as handle:
            raw = handle.read(info.file_size + 1)
        if len(raw) > info.file_size:
            raise DataError(f"{name}: {info.filename!r} is larger than its header says")
        try:
            with Image.open(io.BytesIO(raw)) as img:
                wide, high = img.size  # from the header: nothing is decoded yet
                total_pixels += wide * high
                if wide * high > MAX_IMAGE_PIXELS:
                    raise DataError(
                        f"{name}: image {info.filename!r} is {wide}x{high} pixels, larger than "
                        f"the {MAX_IMAGE_PIXELS:,} pixels allowed; scale it down"
                    )
                if total_pixels > MAX_TOTAL_PIXELS:
                    raise DataError(
                        f"{name}: the images hold more than {MAX_TOTAL_PIXELS:,} pixels in all; "
                        "use fewer or smaller images"
                    )
                img.draft(modes[channels], (width, height))  # a JPEG decodes at a smaller scale
                img = img.convert(modes[channels]).resize((width, height), Image.BILINEAR)
                pixels = np.asarray(img, dtype=np.float32) / 255.0
        except DataError:
            raise
        except Image.DecompressionBombError:
            raise DataError(
                f"{name}: image {info.filename!r} is larger than the {MAX_IMAGE_PIXELS:,} pixels "
                "allowed; scale it down"
            ) from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise DataError(f"{name}: cannot read image {info.filename!r} ({exc})") from None
        x[i] = pixels.reshape(height, width, channels).transpose(2, 0, 1)
        labels.append(index[rest[0]] if len(rest) > 1 else 0)
    if gan:
        x = x * 2.0 - 1.0
    return x, np.array(labels, dtype=np.int64), names or ["images"]
