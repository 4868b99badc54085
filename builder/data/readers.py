"""Readers for user files: CSV, NPZ and ZIPs of image folders.

Every reader takes the file's bytes and its name (the bytes are never written anywhere, so paths
inside archives cannot escape) and raises `DataError` with a message naming the file, the row or
the column.  Sizes are checked before anything is unpacked.  Copied verbatim into exported
`train.py` scripts, like `sources.py`: keep these functions self-contained.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile

import numpy as np

from builder.data.sources import DataError

MAX_CSV_CELLS = 20_000_000  # rows x columns of a CSV
CSV_BLOCK_CELLS = 1 << 16  # a CSV's numbers are read into blocks of about this many
CSV_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # a line, and how it ends
MAX_CLASSES = 1_000  # distinct class labels in any data set
MAX_IMAGE_PIXELS = 4096 * 4096  # one image, read from its header before it is decoded
MAX_TOTAL_PIXELS = 200_000_000  # every image of a ZIP together, decoded


def byte_size(count):
    """Bytes for people: 12 KB, 64 MiB, 1.3 GiB."""
    if count >= 2**30:
        return f"{count / 2**30:,.1f} GiB"
    if count >= 2**20:
        return f"{count / 2**20:,.0f} MiB"
    return f"{max(1, round(count / 1000)):,} KB"


class ArraysTooLarge(DataError):
    """The arrays a data set would become take more bytes than allowed: raised from the sample
    count and the sample shape, before any of them is allocated."""

    def __init__(self, name, samples, shape, itemsize, limit, shaped_by=None, copies=1,
                 at_least=False):  # fmt: skip
        self.fields = (name, samples, tuple(int(s) for s in shape), itemsize, limit)
        self.shaped_by, self.copies, self.at_least = shaped_by, copies, at_least
        need = samples * itemsize * copies
        for size in self.fields[2]:
            need *= size
        self.need = need
        shown = "[" + ", ".join(str(s) for s in self.fields[2]) + "]"
        what = f"shaped by {shaped_by} {shown}" if shaped_by else f"of shape {shown}"
        arrays = "float32" if itemsize == 4 else "int64"
        hint = (
            f"make {shaped_by} smaller, or use fewer samples"
            if shaped_by
            else "use fewer samples or smaller ones"
        )
        super().__init__(
            f"{name}: {'at least ' if at_least else ''}{samples:,} samples {what} make "
            f"{'more than ' if at_least else ''}{byte_size(need)} of {arrays} arrays, more "
            f"than the limit of {byte_size(limit)} for this file; {hint}"
        )

    def naming(self, shaped_by):
        """The same refusal, naming the node whose shape the samples take."""
        return ArraysTooLarge(*self.fields, shaped_by, self.copies, self.at_least)


def check_array_bytes(name, samples, shape, itemsize, limit, shaped_by=None, copies=1,
                      at_least=False):  # fmt: skip
    """Refuse, before allocating, `copies` arrays of `samples` x `shape` over `limit` bytes
    (None: no limit).  `shaped_by` names what the shape comes from (the Input) when not the data;
    `at_least`: the samples counted so far, of a file still being read."""
    if limit is None:
        return
    need = int(samples) * int(itemsize) * int(copies)
    for size in shape:
        need *= int(size)
    if need > limit:
        raise ArraysTooLarge(
            name, int(samples), shape, itemsize, limit, shaped_by, copies, at_least
        )


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
        if len(uniq) > MAX_CLASSES:
            raise DataError(
                f"{name}: {column!r} holds {len(uniq):,} distinct classes, more than {MAX_CLASSES:,}; "
                "for numbers, set the task to regression"
            )
        index = {v: i for i, v in enumerate(uniq)}
        return np.array([index[v] for v in numbers.astype(np.int64)], dtype=np.int64), [
            str(v) for v in uniq
        ]
    names = sorted(set(values))
    if len(names) > MAX_CLASSES:
        raise DataError(
            f"{name}: {column!r} holds {len(names):,} distinct classes, more than {MAX_CLASSES:,}"
        )
    index = {v: i for i, v in enumerate(names)}
    return np.array([index[v] for v in values], dtype=np.int64), names


def csv_rows(text, name, dialect=csv.excel):
    """The rows of CSV text, whose lines may end in \\n, \\r\\n or \\r alone; a row the csv
    module cannot read is a DataError naming the file and the line."""
    lines = (m.group(0) for m in CSV_LINE.finditer(text))  # one at a time: no copy of the text
    reader = csv.reader(lines, dialect)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            if "field larger than field limit" in str(exc):
                raise DataError(
                    f"{name}, line {line}: a cell holds more than {csv.field_size_limit():,} "
                    "characters, the most a CSV cell may hold; shorten it"
                ) from None
            raise DataError(f"{name}, line {line}: not a readable CSV line ({exc})") from None
        yield row


def sniff_dialect(text):
    """The CSV's separator (comma, semicolon or tab) guessed from its start; commas if unsure."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read_csv_table(data, name, target=None, task="classification", max_arrays=None):
    """A CSV with a header row -> (x [N, F] float32, y, class names or None, feature names).

    The target column (default: the last) is classes for classification (text or whole numbers)
    and a number for regression; every other column must hold numbers.  The arrays may take
    `max_arrays` bytes (None: no limit), checked before they are made.
    """
    if not data or not data.strip():
        raise DataError(f"{name}: the file is empty")
    if b"\x00" in data[:4096]:
        raise DataError(f"{name}: this is not a CSV file (it holds binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: this is not a CSV text file (not UTF-8: {exc.reason})") from None
    # Rows are read one at a time into float32 blocks, never kept as text: a big CSV costs
    # its arrays, not a Python string per cell.
    rows = (row for row in csv_rows(text, name, sniff_dialect(text)) if any(c.strip() for c in row))
    first = next(rows, None)
    if first is None:
        raise DataError(f"{name}: the file is empty")
    header = [h.strip() for h in first]
    if len(header) > MAX_CSV_CELLS:
        raise DataError(f"{name}: more than {MAX_CSV_CELLS:,} cells (rows x columns)")
    if len(header) < 2:
        raise DataError(
            f"{name}: found {len(header)} column; a CSV needs a header row naming at least "
            "one feature column and the target column, separated by commas"
        )
    if all(_is_number(h) for h in header):
        raise DataError(f"{name}: the first row holds numbers; the first row must name the columns")
    row = next(rows, None)
    if row is None:
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
    block_rows = max(1, CSV_BLOCK_CELLS // len(features))
    blocks, block, filled = [], np.empty((block_rows, len(features)), dtype=np.float32), 0
    numbers = task in ("regression", "forecasting")  # the target is a number, read as one
    values, value_block = [], np.empty(block_rows, dtype=np.float32)
    labels, seen = [], {}  # one string object per distinct label, however many rows hold it
    cells, r = len(header), 2
    while row is not None:
        cells += len(row)
        if cells > MAX_CSV_CELLS:
            raise DataError(
                f"{name}: more than {MAX_CSV_CELLS:,} cells (rows x columns); use fewer "
                "rows or columns"
            )
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
            block[filled, j] = value
        if target_col is not None:
            cell = row[target_col].strip()
            if not cell:
                raise DataError(f"{name}, row {r}, column {header[target_col]!r}: empty target")
            if numbers:
                if not _is_number(cell) or not math.isfinite(float(cell)):
                    raise DataError(
                        f"{name}, row {r}, column {target!r}: {cell!r} is not a number, but the "
                        "task is regression; set the task to classification for text labels"
                    )
                value_block[filled] = float(cell)
            else:
                labels.append(seen.setdefault(cell, cell))
        filled += 1
        if filled == block_rows:
            blocks.append(block)
            values.append(value_block)
            read = len(blocks) * block_rows
            check_array_bytes(name, read, [len(features)], 4, max_arrays, at_least=True)
            block, value_block, filled = np.empty_like(block), np.empty_like(value_block), 0
        row, r = next(rows, None), r + 1
    check_array_bytes(name, r - 2, [len(features)], 4, max_arrays)
    x = np.concatenate(blocks + [block[:filled]])
    del blocks, block
    names = [header[i] for i in features]
    if target_col is None:
        return x, None, None, names
    if numbers:
        return x, np.concatenate(values + [value_block[:filled]])[:, None], None, names
    y, class_names = _classes(labels, name, target)
    return x, y, class_names, names


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


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
