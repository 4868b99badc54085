"""Data sets by name or file, split and ready for a design's task."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from builder.data import readers, sources
from builder.data.sources import DataError

BUILTIN = {
    "digits": "8x8 handwritten digits (1,797 images), [1, 8, 8], 10 classes",
    "moons": "two interleaving half circles, [2] points, 2 classes",
    "circles": "a circle inside a circle, [2] points, 2 classes",
    "spirals": "three interleaved spiral arms, [2] points, 3 classes",
    "sine": "forecasting: 32 steps of summed sine waves [32, 1] -> next value [1]",
    "waves": "sequence classification: sine, square or sawtooth [32, 1], 3 classes",
}
FILE_TYPES = ("csv", "npz", "images")
DEFAULT_MAX_MB = 200.0


def max_file_bytes() -> int:
    """Upload size limit: NETBUILDER_MAX_DATA_MB (default 200 MB)."""
    raw = os.environ.get("NETBUILDER_MAX_DATA_MB", "")
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(mb * 2**20)


@dataclass
class Dataset:
    """Arrays split into train and validation, plus what a design needs to know about them.

    `x_*` are float32 `[N, *sample_shape]`; `y_*` are int64 class indices `[N]` for classification
    (and, when known, for a GAN's data) or float32 `[N, *target_shape]` for regression/forecasting.
    """

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_val: np.ndarray
    y_val: np.ndarray | None
    class_names: list[str] | None = None
    feature_names: list[str] | None = field(default=None)

    @property
    def sample_shape(self) -> list[int]:
        return list(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int | None:
        return len(self.class_names) if self.class_names and self.task != "regression" else None

    @property
    def target_shape(self) -> list[int] | None:
        """[] for class labels, the value shape for regression/forecasting, None without targets."""
        if self.y_train is None:
            return None
        return list(self.y_train.shape[1:])

    @property
    def is_classification(self) -> bool:
        return self.task == "classification"


def dataset_label(dataset) -> str:
    """A short name for a data-set setting: 'digits' or the file name."""
    if isinstance(dataset, dict):
        return Path(str(dataset.get("path", "?"))).name
    return str(dataset)


def load_dataset(training: dict, input_shape=None, *, max_bytes: int | None = None) -> Dataset:
    """The data set named by `training["dataset"]`, split with `training["seed"]`.

    `input_shape` (the Input node's shape) is needed for image ZIPs, which are resized to it.
    """
    task = training.get("task", "classification")
    seed = int(training.get("seed", 0) or 0)
    spec = training.get("dataset")
    if spec is None or spec == "":
        raise DataError("no data set chosen: set training.dataset to a built-in name or a file")
    if isinstance(spec, str):
        return _builtin(spec, task, seed)
    if not isinstance(spec, dict):
        raise DataError(f"training.dataset must be a name or a file setting, got {spec!r}")
    return _from_file(spec, task, seed, input_shape, max_bytes)


def _builtin(name: str, task: str, seed: int) -> Dataset:
    if name not in BUILTIN:
        raise DataError(
            f"unknown data set {name!r}; built-in data sets: {', '.join(BUILTIN)} "
            '(or a file: {"type": "csv" | "npz" | "images", "path": ...})'
        )
    if name in ("sine", "waves"):
        if name == "sine":
            xt, yt, xv, yv = sources.sine_data()
            return Dataset(name, "forecasting" if task != "gan" else task, xt, yt, xv, yv)
        xt, yt, xv, yv, classes = sources.waves_data()
        return Dataset(name, task, xt, yt, xv, yv, classes)
    maker = {
        "digits": lambda: sources.digits_data(gan=task == "gan"),
        "moons": sources.moons_data,
        "circles": sources.circles_data,
        "spirals": sources.spirals_data,
    }[name]
    x, y, classes = maker()
    train, val = sources.stratified_split(y, seed)
    return Dataset(name, task, x[train], y[train], x[val], y[val], classes)


def read_limited(path, max_bytes: int | None = None) -> bytes:
    """A user file's bytes, refused when missing, empty-named or over the size limit."""
    limit = max_file_bytes() if max_bytes is None else max_bytes
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p.name or path}: no such file ({path})")
    size = p.stat().st_size
    if size > limit:
        raise DataError(
            f"{p.name}: {size / 2**20:.1f} MB is more than the limit of {limit / 2**20:.1f} MB "
            "(set NETBUILDER_MAX_DATA_MB to raise it)"
        )
    return p.read_bytes()


def _from_file(spec: dict, task: str, seed: int, input_shape, max_bytes) -> Dataset:
    kind, path = spec.get("type"), spec.get("path")
    if kind not in FILE_TYPES:
        raise DataError(f"data file type must be one of {', '.join(FILE_TYPES)}, got {kind!r}")
    if not path:
        raise DataError(f'the {kind} data set needs a "path"')
    limit = max_file_bytes() if max_bytes is None else max_bytes
    data = read_limited(path, limit)
    name = Path(path).name
    return dataset_from_bytes(kind, data, name, task, seed, input_shape, spec.get("target"), limit)


def dataset_from_bytes(
    kind, data, name, task="classification", seed=0, input_shape=None, target=None, max_bytes=None
) -> Dataset:
    """Read an uploaded file's bytes (for a preview before it is saved) into a split Dataset."""
    limit = max_file_bytes() if max_bytes is None else max_bytes
    if len(data) > limit:
        raise DataError(
            f"{name}: {len(data) / 2**20:.1f} MB is more than the limit of {limit / 2**20:.1f} MB"
        )
    unpacked = limit * 8  # a ZIP may unpack to 8x its size: more is a zip bomb
    features = None
    if kind == "csv":
        x, y, classes, features = readers.read_csv_table(data, name, target, task)
    elif kind == "npz":
        x, y, classes = readers.read_npz(data, name, task, max_unpacked=unpacked)
    elif kind == "images":
        shape = _image_shape(input_shape, name)
        x, y, classes = readers.read_image_zip(data, name, shape, task == "gan", unpacked)
    else:
        raise DataError(f"data file type must be one of {', '.join(FILE_TYPES)}, got {kind!r}")
    if task == "classification":
        if len(classes) < 2:
            raise DataError(
                f"{name}: found 1 class ({classes[0]}); classification needs at least 2"
            )
        train, val = sources.stratified_split(y, seed)
    else:
        train, val = sources.random_split(len(x), seed)
    if len(val) == 0 or len(train) == 0:
        raise DataError(
            f"{name}: {len(x)} samples are too few to split into training and validation"
        )
    xt, xv = x[train], x[val]
    if kind == "csv":
        xt, xv = sources.standardize(xt, xv)
    yt = None if y is None else y[train]
    yv = None if y is None else y[val]
    return Dataset(name, task, xt, yt, xv, yv, classes, features)


def _image_shape(input_shape, name):
    if input_shape is None or len(input_shape) != 3:
        raise DataError(
            f"{name}: an image data set needs an Input of shape [C, H, W], got "
            f"{list(input_shape) if input_shape is not None else 'none'}"
        )
    return tuple(int(v) for v in input_shape)
