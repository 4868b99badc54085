"""Text as tokens: the built-in documentation text, .txt files and CSV text columns, read the
same way by the app and the exported train.py, and bad text files refused by name."""

from __future__ import annotations

import numpy as np
import pytest

from builder import load_design
from builder.codegen.program import training_program
from builder.data import DataError, dataset_from_bytes, load_dataset, load_for_design
from builder.data.text import UNKNOWN, python_docs_text
from builder.data.uploads import text_column
from builder.design.settings import validate_training
from tests.builder.helpers import chain_design


def text_file(tmp_path, data: bytes, name="story.txt"):
    path = tmp_path / name
    path.write_bytes(data)
    return {"type": "text", "path": str(path)}


def test_python_docs_is_next_character_windows():
    ds = load_dataset({"task": "language_model", "dataset": "python_docs"}, [64])
    text = python_docs_text()
    assert 400_000 < len(text) < 600_000
    assert ds.x_train.dtype == np.int64 and ds.x_train.shape[1:] == (64,)
    assert ds.vocab[0] == " " and len(ds.vocab) == len(set(text))  # no cap needed
    # Targets are the inputs moved one token on, and windows follow each other in the text.
    np.testing.assert_array_equal(ds.y_train[0, :-1], ds.x_train[0, 1:])
    assert ds.y_train[0, -1] == ds.x_train[1, 0]
    assert "".join(ds.vocab[i] for i in ds.x_train[0]) == text[:64]
    total = (len(ds.x_train) + len(ds.x_val)) * 64
    assert 0.85 * len(text) < total <= len(text)
    assert 0.08 < len(ds.x_val) / (len(ds.x_train) + len(ds.x_val)) < 0.12
    again = load_dataset({"task": "language_model", "dataset": "python_docs", "seed": 9}, [64])
    assert again.vocab == ds.vocab  # the same vocabulary every time


def test_words_with_a_vocabulary_cap(tmp_path):
    words = " ".join(f"w{i % 50} common" for i in range(2000)) + " rare1 rare2 rare3"
    spec = text_file(tmp_path, words.encode())
    training = {
        "task": "language_model",
        "dataset": spec,
        "text": {"tokens": "words", "max_vocab": 10},
    }
    ds = load_dataset(training, [8])
    assert len(ds.vocab) == 10 and ds.vocab[0] == "common" and ds.vocab[-1] == UNKNOWN["words"]
    unknown = len(ds.vocab) - 1
    assert (ds.x_train == unknown).mean() > 0.3  # the 41 rarer words read as one token
    assert not validate_training(training)
    bad = validate_training({**training, "text": {"tokens": "bytes"}})
    assert "training.text.tokens" in str(bad[0])


def test_csv_text_column_for_classification(tmp_path):
    rows = ["review,stars"] + [
        f'"{"great fun" if i % 2 else "dull and slow"} {i}",{i % 2}' for i in range(40)
    ]
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows) + "\n")
    training = {"dataset": {"type": "csv", "path": str(path), "text": "review", "target": "stars"}}
    ds = load_dataset(training, [16])
    assert ds.vocab[0] == "<pad>" and ds.class_names == ["0", "1"]
    assert ds.x_train.shape[1:] == (16,) and ds.x_train.dtype == np.int64
    assert len(ds.x_train) + len(ds.x_val) == 40
    first = ds.x_train[0]
    assert (first[first.nonzero()[0].max() + 1 :] == 0).all()  # padded with token 0 at the end
    assert not validate_training(training)
    with pytest.raises(DataError, match=r"no text column 'body'; the columns are: review, stars"):
        load_dataset({"dataset": {**training["dataset"], "text": "body"}}, [16])


def test_python_docs_pages_is_labelled_text():
    ds = load_dataset({"dataset": "python_docs_pages"}, [128])
    assert ds.class_names == ["formatstrings", "string-methods", "typesmapping"]
    assert len(ds.x_train) > 150 and ds.vocab[0] == "<pad>"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "story.txt: the file is empty"),
        (b"  \n\n ", "story.txt: the file is empty"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
            "not a text file (it holds binary data)",
        ),
        ("caf\u00e9".encode("latin-1") * 100, "not a UTF-8 text file"),
        (b"tiny text", "9 chars are too few for windows of 64 tokens"),
    ],
)
def test_bad_text_files_are_refused_by_name(tmp_path, data, words):
    spec = text_file(tmp_path, data)
    with pytest.raises(DataError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load_dataset({"task": "language_model", "dataset": spec}, [64])


def test_a_huge_text_file_is_refused_before_it_is_read(tmp_path):
    spec = text_file(tmp_path, b"abcdefgh " * 300_000)  # 2.7 MB
    with pytest.raises(DataError, match=r"story.txt: 2.6 MB is more than the limit of 1.0 MB"):
        load_dataset({"task": "language_model", "dataset": spec}, [64], max_bytes=2**20)
    with pytest.raises(DataError, match=r"story.txt: 2.6 MB is more than the limit"):
        dataset_from_bytes("text", b"abcdefgh " * 300_000, "story.txt", "language_model",
                           input_shape=[64], max_bytes=2**20)  # fmt: skip


def test_text_and_task_must_agree(tmp_path):
    spec = text_file(tmp_path, b"some words " * 200)
    with pytest.raises(DataError, match="a .txt file is text for the language_model task"):
        load_dataset({"task": "classification", "dataset": spec}, [8])
    with pytest.raises(DataError, match="python_docs is text for the language_model task"):
        load_dataset({"task": "regression", "dataset": "python_docs"}, [8])
    with pytest.raises(DataError, match="language_model task trains on text"):
        load_dataset({"task": "language_model", "dataset": "moons"}, [2])
    with pytest.raises(
        DataError, match=r"text needs an Input of tokens \[T\] \(e.g. \[64\]\), got \[8, 2\]"
    ):
        load_dataset({"task": "language_model", "dataset": spec}, [8, 2])


def test_train_py_reads_a_csv_text_column_as_the_app_does(tmp_path):
    rows = ["label,review"] + [
        f'{i % 3},"{("good", "bad", "odd")[i % 3]} film {i}"' for i in range(60)
    ]
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows) + "\n")
    training = {
        "dataset": {"type": "csv", "path": str(path), "text": "review", "target": "label"},
        "text": {"tokens": "words", "max_vocab": 20},
    }
    design = load_design(
        chain_design(
            ("in", "Input", {"shape": [4]}),
            ("embed", "Embedding", {"num_embeddings": 20, "embedding_dim": 8}),
            ("pool", "GlobalPool", {}),
            ("out", "Dense", {"out_features": 3}),
            training=training,
        )
    )
    program = training_program(design)
    theirs = program.load_data(program.DATA, program.SEED)
    ours = load_for_design(design)
    for key in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(theirs[key], getattr(ours, key))
    assert theirs["vocab"] == ours.vocab and len(ours.vocab) == 20
    assert theirs["classes"] == ["0", "1", "2"]


def test_a_csv_is_text_only_when_a_column_is_words_not_a_number_column_with_a_typo():
    reviews = b"review,stars\n" + b"".join(b"good film number %d,1\n" % i for i in range(20))
    assert text_column(reviews, "stars") == "review"
    typo = b"a,b,label\n" + b"".join(b"%d,%d,x\n" % (i, i) for i in range(20)) + b"3,oops,y\n"
    assert text_column(typo, "label") is None  # read as numbers: the bad cell is named
