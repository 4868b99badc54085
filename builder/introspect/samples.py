"""The samples an explanation starts from: the design's validation data, a data file, typed text."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from builder.data.catalog import FILE_TYPES
from builder.data.datasets import Dataset, load_dataset
from builder.data.loading import FILE_KINDS
from builder.data.sources import DataError
from builder.data.text import PAD, encode, split_tokens
from builder.errors import DesignError


def input_shape(design, model_name: str = "model") -> list[int] | None:
    graph = design.models[model_name]
    node = graph.input_node
    if node is None:
        return None
    return list(next(n for n in graph.nodes if n.id == node).params.get("shape") or [])


def design_data(design, data=None, model_name: str = "model") -> Dataset:
    """`data` as a Dataset: a Dataset as it is, a file the design could train on (read with the
    design's split seed and text settings), or None for the design's own data set."""
    if isinstance(data, Dataset):
        return data
    training = dict(design.training or {})
    if data is not None:
        path = Path(data)
        kind = FILE_KINDS.get(path.suffix.lower())
        if kind not in FILE_TYPES:
            raise DesignError(f"{path.name}: a data file ends in {', '.join(sorted(FILE_KINDS))}")
        previous = training.get("dataset")
        training["dataset"] = {"type": kind, "path": str(path)}
        if isinstance(previous, dict) and previous.get("type") == kind:
            training["dataset"] = {**previous, "path": str(path)}
    try:
        return load_dataset(training, input_shape(design, model_name))
    except DataError as exc:
        raise DesignError(str(exc)) from None


def misclassified_first(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Indices of `labels`, those the model got wrong first (each group in data order); samples
    without a prediction (past the end of `predictions`) keep their place at the end."""
    labels = np.asarray(labels)
    wrong = np.asarray(predictions) != labels[: len(predictions)]
    rest = np.arange(len(predictions), len(labels))
    return np.concatenate([np.flatnonzero(wrong), np.flatnonzero(~wrong), rest])


def encode_text(text: str, dataset: Dataset, tokenizer: str, steps: int, task: str):
    """Typed text as the model's tokens and their pieces.

    A classifier's texts are cut to `steps` tokens and padded with token 0, as its data was;
    a language model reads the last `steps` tokens (no padding: it predicts after the last one).
    """
    if not dataset.vocab:
        raise DesignError("this data set has no vocabulary, so typed text cannot be read")
    pieces = split_tokens(text, tokenizer)
    if not pieces:
        raise DesignError("type some text first")
    if task == "language_model":
        pieces = pieces[-steps:]
        return encode(pieces, dataset.vocab, tokenizer), pieces
    pieces = pieces[:steps]
    ids = np.zeros(steps, dtype=np.int64)
    ids[: len(pieces)] = encode(pieces, dataset.vocab, tokenizer)
    return ids, pieces + [PAD] * (steps - len(pieces))


def token_pieces(ids: np.ndarray, dataset: Dataset) -> list[str]:
    """The tokens of ids under the data set's vocabulary."""
    vocab = dataset.vocab or []
    return [vocab[int(i)] if 0 <= int(i) < len(vocab) else "?" for i in ids]
