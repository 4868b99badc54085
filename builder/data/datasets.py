"""Data sets by name or file, split and ready for a design's task."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from builder.data.budget import ArraysTooLarge
from builder.data.catalog import FILE_TYPES
from builder.data.loading import file_arrays, load_arrays
from builder.data.sources import DataError
from builder.limits import MB, EnvLimit
from builder.recipes.tasks import task_of

DEFAULT_MAX_MB = 200.0
MAX_DATA = EnvLimit("NETBUILDER_MAX_DATA_MB", DEFAULT_MAX_MB, "megabytes", scale=MB)


def max_file_bytes() -> int:
    """Upload size limit: NETBUILDER_MAX_DATA_MB (default 200 MB)."""
    return MAX_DATA.read()


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
    vocab: list[str] | None = None  # a text data set's tokens, in id order

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


def dataset_label(dataset) -> str:
    """A short name for a data-set setting: 'digits' or the file name."""
    if isinstance(dataset, dict):
        return Path(str(dataset.get("path", "?"))).name
    return str(dataset)


def confined(path, data_root) -> Path:
    """`path` when it lies inside `data_root` (links resolved); DataError otherwise.  A relative
    path is read inside `data_root` (the app records an upload by its file name).

    The app serves many people: a design file may name any path, and the app reads only the
    person's own uploads."""
    name = Path(str(path)).name or str(path)
    try:
        resolved = (Path(data_root) / Path(path)).resolve()
        root = Path(data_root).resolve()
    except (OSError, RuntimeError, ValueError):
        resolved, root = None, None
    if resolved is None or not resolved.is_relative_to(root):
        raise DataError(
            f"{name}: this design's data file is not one of your uploads, so it is not read; "
            "upload the file it used (Data set -> Upload)"
        )
    return resolved


def load_dataset(
    training: dict,
    input_shape=None,
    *,
    max_bytes: int | None = None,
    data_root=None,
    input_id: str | None = None,
) -> Dataset:
    """The data set named by `training["dataset"]`, split with `training["seed"]`.

    `input_shape` (the Input node's shape) is needed for image ZIPs, which are resized to it,
    and for text; the arrays it makes are held to the limits before they are made, and a
    refusal names the Input `input_id`.  With `data_root`, a data file is read only from inside
    that folder (see `confined`).
    """
    with _naming_the_input(input_id):
        return _load_dataset(training, input_shape, max_bytes, data_root)


def _load_dataset(training: dict, input_shape, max_bytes, data_root) -> Dataset:
    task = task_of(training)
    seed = int(training.get("seed", 0) or 0)
    spec = training.get("dataset")
    if spec is None or spec == "":
        raise DataError("no data set chosen: set training.dataset to a built-in name or a file")
    text = text_setting(training)
    limit = max_file_bytes() if max_bytes is None else max_bytes
    if isinstance(spec, str):
        arrays = load_arrays(spec, task, seed, input_shape, max_bytes=limit, text=text)
        return _dataset(spec, task, arrays)
    if not isinstance(spec, dict):
        raise DataError(f"training.dataset must be a name or a file setting, got {spec!r}")
    kind, path = spec.get("type"), spec.get("path")
    if kind not in FILE_TYPES:
        raise DataError(f"data file type must be one of {', '.join(FILE_TYPES)}, got {kind!r}")
    if not path:
        raise DataError(f'the {kind} data set needs a "path"')
    if data_root is not None:
        path = str(confined(path, data_root))
    arrays = load_arrays(path, task, seed, input_shape, spec.get("target"), kind, limit, text)
    return _dataset(Path(path).name, task, arrays)


def dataset_from_bytes(
    kind,
    data,
    name,
    task="classification",
    seed=0,
    input_shape=None,
    target=None,
    max_bytes=None,
    text=None,
    input_id=None,
) -> Dataset:
    """Read an uploaded file's bytes (for a preview before it is saved) into a split Dataset;
    `text` holds tokenizer settings and a CSV's text column (see `text_setting`).  The limits
    are load_dataset's, and a refusal names the Input `input_id`."""
    limit = max_file_bytes() if max_bytes is None else max_bytes
    if len(data) > limit:
        raise DataError(
            f"{name}: {len(data) / 2**20:.1f} MB is more than the limit of {limit / 2**20:.1f} MB"
        )
    with _naming_the_input(input_id):
        arrays = file_arrays(
            data, name, kind, task, seed, input_shape, target, limit * 8, text, limit_arrays=True
        )
    return _dataset(name, task, arrays)


@contextmanager
def _naming_the_input(input_id):
    """Arrays refused for the shape the Input gives them name that Input node."""
    try:
        yield
    except ArraysTooLarge as exc:
        if input_id is None or not exc.shaped_by:
            raise
        raise exc.naming(f"the Input {input_id!r}") from None


def _dataset(name: str, task: str, arrays: dict) -> Dataset:
    if name == "sine" and task != "gan":
        task = "forecasting"
    return Dataset(
        name,
        task,
        arrays["x_train"],
        arrays["y_train"],
        arrays["x_val"],
        arrays["y_val"],
        arrays["classes"],
        arrays["features"],
        arrays.get("vocab"),
    )


def text_setting(training: dict) -> dict:
    """The loaders' text options: the tokenizer settings and a CSV's text column."""
    spec = training.get("dataset")
    column = spec.get("text") if isinstance(spec, dict) else None
    return {**(training.get("text") or {}), "column": column}
