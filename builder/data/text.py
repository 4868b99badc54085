"""Text as tokens: Python's bundled documentation, .txt files and CSV text columns.

Characters are the tokens by default; words (with a cap on the vocabulary, the rest read as one
unknown token) are the option. The vocabulary is made from the text itself, in a fixed order
(most frequent first, ties by the token), so the app and the exported train.py get the same one.
Copied verbatim into train.py, like `readers.py`: keep these functions self-contained.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from builder.data.budget import check_array_bytes
from builder.data.csv_table import MAX_CSV_CELLS, csv_rows
from builder.data.readers import _classes
from builder.data.sources import DataError, stratified_split

MAX_TEXT_CHARS = 50_000_000  # characters of one text file, after decoding
DEFAULT_MAX_VOCAB = 10_000
TOKENIZERS = ("chars", "words")
UNKNOWN = {"chars": "\ufffd", "words": "<unk>"}
PAD = "<pad>"  # token 0 of a text-classification vocabulary: fills short texts
WORD = re.compile(r"\w+|[^\w\s]")
LM_VAL_FRACTION = 0.1  # the text's last tenth is the validation part
VOCAB_FILE = "vocab.json"  # beside a text run's weights: the tokens, in id order


def python_docs_text():
    """Python's own documentation (pydoc_data.topics), text for language modelling

    The help texts that ship inside Python itself, about 465,000 characters: nothing is
    downloaded."""
    from pydoc_data import topics  # deferred on purpose: only this data set needs it

    return "\n\n".join(topics.topics[key].strip() for key in sorted(topics.topics))


DOC_PAGES = ("string-methods", "formatstrings", "typesmapping")


def python_docs_pages():
    """paragraphs of 3 pages of Python's docs (str methods, format strings, dicts), 3 classes

    Which page of the documentation a paragraph comes from, a text-classification example
    from pydoc_data.topics: nothing is downloaded."""
    from pydoc_data import topics  # deferred on purpose: only this data set needs it

    texts, labels = [], []
    for page in DOC_PAGES:
        for paragraph in topics.topics.get(page, "").split("\n\n"):
            if len(paragraph.strip()) >= 40:
                texts.append(" ".join(paragraph.split()))
                labels.append(page)
    return texts, labels


def decode_text(data, name):
    """A text file's bytes as text, or a DataError saying why they are not text."""
    if not data or not data.strip():
        raise DataError(f"{name}: the file is empty")
    if b"\x00" in data[:65536]:
        raise DataError(f"{name}: this is not a text file (it holds binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{name}: this is not a UTF-8 text file ({exc.reason} at byte {exc.start})"
        ) from None
    if len(text) > MAX_TEXT_CHARS:
        raise DataError(
            f"{name}: {len(text):,} characters, more than the limit of {MAX_TEXT_CHARS:,}; "
            "use a shorter text"
        )
    return text


def split_tokens(text, tokenizer):
    """The text's tokens: its characters, or its words and punctuation marks."""
    if tokenizer not in TOKENIZERS:
        raise DataError(f"text.tokens must be one of {', '.join(TOKENIZERS)}, got {tokenizer!r}")
    return list(text) if tokenizer == "chars" else WORD.findall(text)


def make_vocabulary(pieces, tokenizer, max_vocab, reserved=()):
    """Tokens in id order: `reserved` ones, then the most frequent, then unknown if any are left."""
    counts = Counter(pieces)
    room = max(1, int(max_vocab) - len(reserved))
    ordered = sorted(counts, key=lambda token: (-counts[token], token))
    if len(ordered) > room:
        return list(reserved) + ordered[: room - 1] + [UNKNOWN[tokenizer]]
    return list(reserved) + ordered


def encode(pieces, vocab, tokenizer):
    """Token ids of `pieces` under `vocab` (tokens it lacks read as unknown)."""
    index = {token: i for i, token in enumerate(vocab)}
    unknown = index.get(UNKNOWN[tokenizer], 0)
    return np.array([index.get(p, unknown) for p in pieces], dtype=np.int64)


def context_length(input_shape, name):
    """T of an Input of tokens [T]: text trains on windows of that many tokens."""
    if input_shape is None or len(input_shape) != 1:
        shown = list(input_shape) if input_shape is not None else "none"
        raise DataError(f"{name}: text needs an Input of tokens [T] (e.g. [64]), got {shown}")
    return int(input_shape[0])


def _windows(ids, steps):
    """Non-overlapping windows x [N, T] and their next tokens y [N, T] (x shifted by one)."""
    n = (len(ids) - 1) // steps
    return ids[: n * steps].reshape(n, steps), ids[1 : n * steps + 1].reshape(n, steps)


def language_model_arrays(text, name, input_shape, tokenizer="chars", max_vocab=DEFAULT_MAX_VOCAB,
                          max_arrays=None):  # fmt: skip
    """Windows of a text for next-token prediction: the first 90% trains, the last 10% checks.

    The windows and their next tokens (int64) may take `max_arrays` bytes (None: no limit)."""
    steps = context_length(input_shape, name)
    pieces = split_tokens(text, tokenizer)
    windows = max(0, len(pieces) - 1) // max(1, steps)
    check_array_bytes(name, windows, [steps], 8, max_arrays, shaped_by="the Input", copies=2)
    vocab = make_vocabulary(pieces, tokenizer, max_vocab)
    ids = encode(pieces, vocab, tokenizer)
    n_val = int(len(ids) * LM_VAL_FRACTION)
    x_train, y_train = _windows(ids[: len(ids) - n_val], steps)
    x_val, y_val = _windows(ids[len(ids) - n_val :], steps)
    if len(x_train) == 0 or len(x_val) == 0:
        need = int((steps + 1) / LM_VAL_FRACTION) + 1
        raise DataError(
            f"{name}: {len(ids):,} {tokenizer} are too few for windows of {steps} tokens in both "
            f"the training and the validation part; it needs about {need:,}, or a shorter Input"
        )
    return {
        "x_train": x_train,
        "y_train": y_train,
        "x_val": x_val,
        "y_val": y_val,
        "classes": None,
        "features": None,
        "vocab": vocab,
    }


def read_text_table(data, name, column, target):
    """(texts, labels) of a CSV's text column and its label column (default: the last other)."""
    text = decode_text(data, name)
    rows = [row for row in csv_rows(text, name) if any(c.strip() for c in row)]
    if sum(len(row) for row in rows) > MAX_CSV_CELLS:
        raise DataError(f"{name}: more than {MAX_CSV_CELLS:,} cells (rows x columns)")
    header = [h.strip() for h in rows[0]]
    if column not in header:
        raise DataError(f"{name}: no text column {column!r}; the columns are: {', '.join(header)}")
    others = [h for h in header if h != column]
    target = target or (others[-1] if others else None)
    if target not in header or target == column:
        raise DataError(
            f"{name}: no label column {target!r} besides the text column {column!r}; "
            f"the columns are: {', '.join(header)}"
        )
    if len(rows) < 2:
        raise DataError(f"{name}: the file has a header but no data rows")
    t, y = header.index(column), header.index(target)
    texts, labels = [], []
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(
                f"{name}, row {r}: expected {len(header)} cells as in the header, got {len(row)}"
            )
        if not row[y].strip():
            raise DataError(f"{name}, row {r}, column {target!r}: empty label")
        texts.append(row[t])
        labels.append(row[y].strip())
    return texts, labels, target


def text_classification_arrays(data, name, column, target, input_shape, tokenizer, max_vocab, seed,
                               max_arrays=None):  # fmt: skip
    """A CSV's texts as tokens [T] (cut or padded with token 0) and its labels as classes."""
    texts, labels, target = read_text_table(data, name, column, target)
    return labelled_text_arrays(
        texts, labels, name, target, input_shape, tokenizer, max_vocab, seed, max_arrays
    )


def labelled_text_arrays(texts, labels, name, target, input_shape, tokenizer, max_vocab, seed,
                         max_arrays=None):  # fmt: skip
    """Texts as tokens [T] (cut, or padded with token 0) and their labels as classes, split
    with `seed` so each class keeps its share; the tokens (int64) may take `max_arrays` bytes."""
    steps = context_length(input_shape, name)
    check_array_bytes(name, len(texts), [steps], 8, max_arrays, shaped_by="the Input")
    y, classes = _classes(labels, name, target)
    if len(classes) < 2:
        raise DataError(f"{name}: found 1 class ({classes[0]}); classification needs at least 2")
    pieces = [split_tokens(t, tokenizer)[:steps] for t in texts]
    vocab = make_vocabulary([p for row in pieces for p in row], tokenizer, max_vocab, (PAD,))
    x = np.zeros((len(texts), steps), dtype=np.int64)
    for i, row in enumerate(pieces):
        x[i, : len(row)] = encode(row, vocab, tokenizer)
    train, val = stratified_split(y, seed)
    if len(val) == 0 or len(train) == 0:
        raise DataError(f"{name}: {len(x)} rows are too few to split into training and validation")
    return {
        "x_train": x[train],
        "y_train": y[train],
        "x_val": x[val],
        "y_val": y[val],
        "classes": classes,
        "features": None,
        "vocab": vocab,
    }
