"""From a data-set setting to split arrays: the one way data is loaded, in the app and in train.py.

Self-contained on purpose (numpy, the standard library, and the functions of `sources.py` and
`readers.py`): `builder.codegen.training_source` copies these functions verbatim into the
exported `train.py`, so the script loads exactly the arrays the app trained on.
"""

from __future__ import annotations

import os

from builder.data.csv_table import read_csv_table
from builder.data.readers import read_image_zip, read_npz
from builder.data.sources import (
    DataError,
    circles_data,
    digits_data,
    moons_data,
    random_split,
    sine_data,
    spirals_data,
    standardize,
    stratified_split,
    waves_data,
)
from builder.data.text import (
    DEFAULT_MAX_VOCAB,
    decode_text,
    labelled_text_arrays,
    language_model_arrays,
    python_docs_pages,
    python_docs_text,
    text_classification_arrays,
)

BUILTIN_DATA = {
    "digits": digits_data,
    "moons": moons_data,
    "circles": circles_data,
    "spirals": spirals_data,
    "sine": sine_data,
    "waves": waves_data,
    "python_docs": python_docs_text,
    "python_docs_pages": python_docs_pages,
}
TEXT_DATA = ("python_docs",)  # text for language models
LABELLED_TEXT_DATA = ("python_docs_pages",)  # texts with a class each


def text_options(text):
    """(tokens, max_vocab) of a design's text settings, with their defaults."""
    text = text or {}
    return text.get("tokens") or "chars", int(text.get("max_vocab") or DEFAULT_MAX_VOCAB)


def builtin_arrays(name, task, seed, input_shape=None, text=None, max_arrays=None):
    """A built-in data set by name, split with `seed`: a dict of x/y train/val and classes.

    Text takes the Input's length, so its arrays are checked against `max_arrays` bytes."""
    if name not in BUILTIN_DATA:
        raise DataError(
            f"unknown data set {name!r}; built-in data sets: {', '.join(BUILTIN_DATA)} "
            '(or a file: {"type": "csv" | "npz" | "images" | "text", "path": ...})'
        )
    if (name in TEXT_DATA) != (task == "language_model"):
        raise DataError(
            f"{name} is text for the language_model task; set the task to language_model"
            if name in TEXT_DATA
            else f"the language_model task trains on text (python_docs or a .txt file), not {name}"
        )
    classes = None
    if name in TEXT_DATA:
        return language_model_arrays(
            BUILTIN_DATA[name](), name, input_shape, *text_options(text), max_arrays
        )
    if name in LABELLED_TEXT_DATA:
        if task != "classification":
            raise DataError(f"{name} is labelled text for classification; set the task to it")
        texts, labels = BUILTIN_DATA[name]()
        tokens, max_vocab = text_options(text)
        return labelled_text_arrays(texts, labels, name, "page", input_shape, tokens, max_vocab,
                                    seed, max_arrays)  # fmt: skip
    if name == "sine":  # sine and waves come with their own validation part
        x_train, y_train, x_val, y_val = sine_data()
    elif name == "waves":
        x_train, y_train, x_val, y_val, classes = waves_data()
    else:
        make = BUILTIN_DATA[name]
        x, y, classes = make(gan=task == "gan") if name == "digits" else make()
        train, val = stratified_split(y, seed)
        x_train, y_train, x_val, y_val = x[train], y[train], x[val], y[val]
    return {
        "x_train": x_train,
        "y_train": y_train,
        "x_val": x_val,
        "y_val": y_val,
        "classes": classes,
        "features": None,
    }


MAX_UNPACK_RATIO = 100  # an archive may unpack to this many times its size (more: a bomb)
MIN_UNPACK_BYTES = 64 * 2**20  # small archives may unpack to this much, whatever the ratio


def unpack_budget(file_bytes, max_unpacked):
    """Bytes a file of `file_bytes` may become, unpacked or made into arrays: 100x its size,
    at least 64 MiB, at most `max_unpacked`.  A tiny upload cannot ask for gigabytes."""
    return min(max_unpacked, max(MIN_UNPACK_BYTES, MAX_UNPACK_RATIO * file_bytes))


def file_arrays(data, name, kind, task, seed, input_shape=None, target=None, max_unpacked=1 << 30,
                text=None, limit_arrays=False):  # fmt: skip
    """A data file's bytes (csv, npz, images or text), read and split with `seed`, like
    builtin_arrays; `text` holds the tokenizer settings and a CSV's text column.

    With `limit_arrays`, the arrays the file becomes (samples x the sample shape x bytes) are
    held to `unpack_budget` before they are made.  Every failure is a DataError naming the file,
    whatever the reader met."""
    unpacked = unpack_budget(len(data), max_unpacked)
    max_arrays = unpacked if limit_arrays else None
    try:
        if kind == "text" and task != "language_model":
            raise DataError(
                f"{name}: a .txt file is text for the language_model task; set the task to "
                "language_model"
            )
        if task == "language_model" and kind != "text":
            raise DataError(
                f"{name}: the language_model task trains on text: a .txt file or python_docs"
            )
        if kind == "text":
            tokens, max_vocab = text_options(text)
            return language_model_arrays(
                decode_text(data, name), name, input_shape, tokens, max_vocab, max_arrays
            )
        if kind == "csv" and (text or {}).get("column"):
            if task != "classification":
                raise DataError(f"{name}: a CSV text column is read for classification only")
            tokens, max_vocab = text_options(text)
            return text_classification_arrays(
                data, name, text["column"], target, input_shape, tokens, max_vocab, seed,
                max_arrays,
            )  # fmt: skip
        return _file_arrays(data, name, kind, task, seed, input_shape, target, unpacked, max_arrays)
    except DataError:
        raise
    except MemoryError:
        raise DataError(f"{name}: too large to read into memory") from None
    except Exception as exc:  # a hostile or broken file: any reader error becomes a message
        raise DataError(
            f"{name}: cannot read this {kind} file ({type(exc).__name__}: {exc})"
        ) from None


def _file_arrays(data, name, kind, task, seed, input_shape, target, max_unpacked, max_arrays):
    features = None
    if kind == "csv":
        x, y, classes, features = read_csv_table(data, name, target, task, max_arrays)
    elif kind == "npz":
        x, y, classes = read_npz(data, name, task, max_unpacked, max_arrays)
    elif kind == "images":
        if input_shape is None or len(input_shape) != 3:
            shown = list(input_shape) if input_shape is not None else "none"
            raise DataError(
                f"{name}: an image data set needs an Input of shape [C, H, W], got {shown}"
            )
        shape = tuple(int(v) for v in input_shape)
        x, y, classes = read_image_zip(
            data, name, shape, task == "gan", max_unpacked, max_arrays=max_arrays
        )
    else:
        raise DataError(f"data file type must be one of csv, npz, images, text, got {kind!r}")
    if task == "classification":
        if len(classes) < 2:
            raise DataError(
                f"{name}: found 1 class ({classes[0]}); classification needs at least 2"
            )
        train, val = stratified_split(y, seed)
    else:
        train, val = random_split(len(x), seed)
    if len(val) == 0 or len(train) == 0:
        raise DataError(
            f"{name}: {len(x)} samples are too few to split into training and validation"
        )
    x_train, x_val = x[train], x[val]
    del x  # the split copies are what is kept: never hold both at once for long
    if kind == "csv":
        x_train, x_val = standardize(x_train, x_val)
    return {
        "x_train": x_train,
        "y_train": None if y is None else y[train],
        "x_val": x_val,
        "y_val": None if y is None else y[val],
        "classes": classes,
        "features": features,
    }


FILE_KINDS = {".csv": "csv", ".npz": "npz", ".zip": "images", ".txt": "text"}


def load_arrays(source, task, seed, input_shape=None, target=None, kind=None, max_bytes=None,
                text=None):  # fmt: skip
    """A built-in name or a file path (its kind given, or told by its extension), as arrays.

    With `max_bytes`, files over it are refused before they are read, an archive may unpack to
    8x that, and the arrays a data set becomes are held to `unpack_budget` before they are made.
    """
    kind = kind or FILE_KINDS.get(os.path.splitext(str(source))[1].lower())
    if kind is None:
        budget = None if max_bytes is None else unpack_budget(0, max_bytes * 8)
        return builtin_arrays(source, task, seed, input_shape, text, budget)
    name = os.path.basename(str(source))
    if not os.path.isfile(source):
        raise DataError(f"{name or source}: no such file ({source})")
    size = os.path.getsize(source)
    if max_bytes is not None and size > max_bytes:
        raise DataError(
            f"{name}: {size / 2**20:.1f} MB is more than the limit of {max_bytes / 2**20:.1f} MB "
            "(set NETBUILDER_MAX_DATA_MB to raise it)"
        )
    with open(source, "rb") as handle:
        data = handle.read()
    unpacked = 1 << 30 if max_bytes is None else max_bytes * 8
    return file_arrays(data, name, kind, task, seed, input_shape, target, unpacked, text,
                       limit_arrays=max_bytes is not None)  # fmt: skip
