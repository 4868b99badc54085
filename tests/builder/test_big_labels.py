"""Number class labels are read exactly: past int64 they stay distinct classes, never merged."""

from __future__ import annotations

import numpy as np

from builder.data import dataset_from_bytes
from tests.builder.data_files import npz_bytes

BIG = [2**63 - 1, 2**63, 2**63 + 1, 2**64 + 5, -(2**63) - 1, 10**30, 10**30 + 1]


def _labels_per_row(ds) -> list[str]:
    ys = np.concatenate([ds.y_train, ds.y_val])
    return [ds.class_names[int(i)] for i in ys]


def test_csv_labels_past_int64_stay_exact_distinct_classes():
    rows = [f"{i},{i % 3},{BIG[i % len(BIG)]}" for i in range(70)]
    data = ("a,b,label\n" + "\n".join(rows) + "\n").encode()
    ds = dataset_from_bytes("csv", data, "big.csv", "classification")
    assert ds.class_names == [str(v) for v in sorted(BIG)]
    assert ds.num_classes == len(BIG)
    # every row keeps its own label: the split shuffles rows, so compare as multisets
    assert sorted(_labels_per_row(ds)) == sorted(str(BIG[i % len(BIG)]) for i in range(70))


def test_npz_uint64_labels_past_int64_stay_distinct():
    labels = np.array([2**63, 2**63 + 1, 2**64 - 1, 0] * 10, dtype=np.uint64)
    ds = dataset_from_bytes(
        "npz", npz_bytes(X=np.zeros((40, 2)), y=labels), "big.npz", "classification"
    )
    assert ds.class_names == ["0", str(2**63), str(2**63 + 1), str(2**64 - 1)]
    assert np.bincount(np.concatenate([ds.y_train, ds.y_val])).tolist() == [10, 10, 10, 10]


def test_whole_numbers_written_as_floats_are_one_class_and_text_wins_over_numbers():
    data = b"a,label\n" + b"".join(
        f"{i},{v}\n".encode() for i, v in enumerate(["3", "3.0", "1e1"] * 10)
    )
    ds = dataset_from_bytes("csv", data, "f.csv", "classification")
    assert ds.class_names == ["3", "10"]
    mixed = b"a,label\n" + b"".join(
        f"{i},{v}\n".encode() for i, v in enumerate(["1.5", "cat"] * 10)
    )
    assert dataset_from_bytes("csv", mixed, "m.csv", "classification").class_names == ["1.5", "cat"]
