"""Data sets: built-in ones by name, user CSV/NPZ/image-ZIP files, splits and design checks."""

from builder.data.catalog import BUILTIN, FILE_TYPES
from builder.data.check import (
    check_dataset,
    data_model,
    describe_dataset,
    load_for_design,
    model_io,
)
from builder.data.datasets import (
    Dataset,
    dataset_from_bytes,
    load_dataset,
    max_file_bytes,
)
from builder.data.sources import DataError

__all__ = [
    "BUILTIN",
    "FILE_TYPES",
    "DataError",
    "Dataset",
    "check_dataset",
    "data_model",
    "dataset_from_bytes",
    "describe_dataset",
    "load_dataset",
    "load_for_design",
    "max_file_bytes",
    "model_io",
]
