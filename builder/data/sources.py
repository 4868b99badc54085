"""Where the numbers come from: built-in data sets and readers for user files.

This module is self-contained on purpose (numpy, the standard library and, lazily, Pillow):
`builder.export_train` copies these functions verbatim into the exported `train.py`, so the
exported script loads exactly the data the app trained on.  Every reader takes the file's bytes
and its name and raises `DataError` with a message that names the file, the row or the column.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile

import numpy as np


class DataError(ValueError):
    """A data set that cannot be used: the message names the file, column or row at fault."""


def digits_data(gan=False):
    """sklearn's bundled 8x8 digits (1,797 images), as [N, 1, 8, 8] in [0, 1] ([-1, 1] for a GAN)."""
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise DataError("the digits data set needs scikit-learn: pip install scikit-learn")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    table = np.loadtxt(path, delimiter=",", dtype=np.float32)
    x = (table[:, :-1] / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    if gan:
        x = x * 2.0 - 1.0
    y = table[:, -1].astype(np.int64)
    return x, y, [str(d) for d in range(10)]


def moons_data(n=1000, noise=0.1, seed=0):
    """Two interleaving half circles, [2] points, 2 classes."""
    rng = np.random.default_rng(seed)
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], 1)
    inner = np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)
    x = np.concatenate([outer, inner]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)]).astype(np.int64)
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order], ["upper", "lower"]


def circles_data(n=1000, noise=0.08, factor=0.5, seed=0):
    """A small circle inside a large one, [2] points, 2 classes."""
    rng = np.random.default_rng(seed)
    n_out, n_in = n // 2, n - n // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], 1)
    inner = factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)
    x = np.concatenate([outer, inner]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)]).astype(np.int64)
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order], ["outer", "inner"]


def spirals_data(n_per_arm=300, noise=0.2, seed=0):
    """Three interleaved spiral arms, [2] points, 3 classes."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for arm in range(3):
        r = np.linspace(0.0, 1.0, n_per_arm)
        t = np.linspace(arm * 4.0, (arm + 1) * 4.0, n_per_arm) + rng.normal(0, noise, n_per_arm)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        ys.append(np.full(n_per_arm, arm))
    x, y = np.concatenate(xs), np.concatenate(ys).astype(np.int64)
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order], ["arm 0", "arm 1", "arm 2"]


def sine_data(n_train=4000, n_val=1000, steps=32, noise=0.05, seed=0):
    """Forecasting: `steps` values [T, 1] of a sum of 1-3 sine waves in [-1, 1] plus noise -> next value [1]."""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    t = np.arange(steps + 1, dtype=np.float64)
    series = np.zeros((n, steps + 1))
    count = rng.integers(1, 4, n)
    for k in range(3):
        freq = rng.uniform(0.02, 0.12, (n, 1))
        phase = rng.uniform(0, 2 * np.pi, (n, 1))
        series += (k < count)[:, None] * np.sin(2 * np.pi * freq * t + phase)
    series /= np.abs(series).max(axis=1, keepdims=True) + 1e-8
    series += rng.normal(0.0, noise, series.shape)
    x = series[:, :steps, None].astype(np.float32)
    y = series[:, steps:].astype(np.float32)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def waves_data(n_train=3000, n_val=600, steps=32, noise=0.1, seed=0):
    """Sequence classification: [T, 1] of a sine, square or sawtooth wave (3 classes)."""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    y = np.arange(n) % 3
    rng.shuffle(y)
    t = np.arange(steps, dtype=np.float64)
    freq = rng.uniform(0.03, 0.15, (n, 1))
    phase = rng.uniform(0, 1, (n, 1))
    amp = rng.uniform(0.5, 1.0, (n, 1))
    cycle = (freq * t + phase) % 1.0
    sine = np.sin(2 * np.pi * cycle)
    square = np.where(cycle < 0.5, 1.0, -1.0)
    saw = 2.0 * cycle - 1.0
    wave = np.where(y[:, None] == 0, sine, np.where(y[:, None] == 1, square, saw))
    x = (amp * wave + rng.normal(0.0, noise, wave.shape))[:, :, None].astype(np.float32)
    y = y.astype(np.int64)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:], ["sine", "square", "sawtooth"]


def stratified_split(y, seed, val_fraction=0.2):
    """Indices (train, val): each class keeps its share in both parts; fixed by `seed`."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_val = int(round(len(idx) * val_fraction)) if len(idx) > 1 else 0
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def random_split(n, seed, val_fraction=0.2):
    """Indices (train, val) of a seeded shuffle, for targets that are numbers."""
    idx = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * val_fraction))
    return np.sort(idx[n_val:]), np.sort(idx[:n_val])


def standardize(x_train, x_val):
    """Scale each feature to mean 0 and std 1, with statistics of the training part only."""
    mean = x_train.mean(axis=0, keepdims=True)
    std = x_train.std(axis=0, keepdims=True)
    std[std == 0] = 1.0
    return ((x_train - mean) / std).astype(np.float32), ((x_val - mean) / std).astype(np.float32)


def _classes(values, name, column):
    """Turn a column of labels (text or whole numbers) into class indices and sorted names."""
    try:
        numbers = np.array([float(v) for v in values])
    except ValueError:
        numbers = None
    if numbers is not None:
        if not np.all(np.isfinite(numbers)) or np.any(numbers != np.round(numbers)):
            raise DataError(
                f"{name}: target column {column!r} holds fractional numbers, which cannot be "
                "classes: set the task to regression, or use whole numbers or text labels"
            )
        uniq = np.unique(numbers.astype(np.int64))
        index = {v: i for i, v in enumerate(uniq)}
        return np.array([index[v] for v in numbers.astype(np.int64)], dtype=np.int64), [
            str(v) for v in uniq
        ]
    names = sorted(set(values))
    index = {v: i for i, v in enumerate(names)}
    return np.array([index[v] for v in values], dtype=np.int64), names


def read_csv_table(data, name, target=None, task="classification"):
    """A CSV with a header row -> (x [N, F] float32, y, class names or None, feature names).

    The target column (default: the last) is classes for classification (text or whole numbers)
    and a number for regression; every other column must hold numbers.
    """
    if not data or not data.strip():
        raise DataError(f"{name}: the file is empty")
    if b"\x00" in data[:4096]:
        raise DataError(f"{name}: this is not a CSV file (it holds binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: this is not a CSV text file (not UTF-8: {exc.reason})") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise DataError(f"{name}: this is not a readable CSV file ({exc})") from None
    if not rows:
        raise DataError(f"{name}: the file is empty")
    header = [h.strip() for h in rows[0]]
    if len(header) < 2:
        raise DataError(
            f"{name}: found {len(header)} column; a CSV needs a header row naming at least "
            "one feature column and the target column, separated by commas"
        )
    if all(_is_number(h) for h in header):
        raise DataError(f"{name}: the first row holds numbers; the first row must name the columns")
    if len(rows) < 2:
        raise DataError(f"{name}: the file has a header but no data rows")
    if target is None and task == "gan":
        target_col = None
    else:
        target = header[-1] if target is None else target
        if target not in header:
            raise DataError(
                f"{name}: no column named {target!r}; the columns are: {', '.join(header)}"
            )
        target_col = header.index(target)
    features = [i for i in range(len(header)) if i != target_col]
    x = np.empty((len(rows) - 1, len(features)), dtype=np.float32)
    labels = []
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(
                f"{name}, row {r}: expected {len(header)} cells as in the header, got {len(row)}"
            )
        for j, col in enumerate(features):
            cell = row[col].strip()
            try:
                value = float(cell)
            except ValueError:
                what = "an empty cell" if not cell else repr(cell)
                raise DataError(
                    f"{name}, row {r}, column {header[col]!r}: {what} is not a number; "
                    "feature columns must hold numbers only"
                ) from None
            if not math.isfinite(value):
                raise DataError(f"{name}, row {r}, column {header[col]!r}: {cell!r} is not finite")
            x[r - 2, j] = value
        if target_col is not None:
            cell = row[target_col].strip()
            if not cell:
                raise DataError(f"{name}, row {r}, column {header[target_col]!r}: empty target")
            labels.append(cell)
    names = [header[i] for i in features]
    if target_col is None:
        return x, None, None, names
    if task in ("regression", "forecasting"):
        y = np.empty((len(labels), 1), dtype=np.float32)
        for r, cell in enumerate(labels, start=2):
            if not _is_number(cell) or not math.isfinite(float(cell)):
                raise DataError(
                    f"{name}, row {r}, column {target!r}: {cell!r} is not a number, but the task "
                    "is regression; set the task to classification for text labels"
                )
            y[r - 2, 0] = float(cell)
        return x, y, None, names
    y, class_names = _classes(labels, name, target)
    return x, y, class_names, names


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_npz(data, name, task="classification", max_unpacked=1 << 30):
    """An .npz holding arrays `X` (samples) and `y` (targets; optional for a GAN)."""
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
    try:
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        keys = set(arrays.files)
        x = arrays["X"] if "X" in keys else None
        y = arrays["y"] if "y" in keys else None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{name}: cannot read the arrays ({exc})") from None
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


IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def read_image_zip(data, name, shape, gan=False, max_unpacked=1 << 30, max_images=100_000):
    """A ZIP with one folder per class -> images [N, C, H, W] in [0, 1] ([-1, 1] for a GAN)."""
    from PIL import Image

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
    Image.MAX_IMAGE_PIXELS = 50_000_000
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
                img = img.convert(modes[channels]).resize((width, height), Image.BILINEAR)
                pixels = np.asarray(img, dtype=np.float32) / 255.0
        except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
            raise DataError(f"{name}: cannot read image {info.filename!r} ({exc})") from None
        x[i] = pixels.reshape(height, width, channels).transpose(2, 0, 1)
        labels.append(index[rest[0]] if len(rest) > 1 else 0)
    if gan:
        x = x * 2.0 - 1.0
    return x, np.array(labels, dtype=np.int64), names or ["images"]
