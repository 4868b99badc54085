"""User files: CSV, NPZ and image ZIPs, read right or refused with a message naming the culprit."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from builder.data import DataError, dataset_from_bytes, load_dataset
from tests.builder.data_files import (
    blobs_csv,
    csv_bytes,
    image_zip,
    linear_csv,
    npz_bytes,
    png_bytes,
)


def read(kind, data, task="classification", **kw):
    return dataset_from_bytes(kind, data, f"data.{kind}", task, **kw)


# CSV ---------------------------------------------------------------------------------------


def test_csv_text_target_is_classes_and_features_are_standardized():
    ds = read("csv", blobs_csv(100))
    assert ds.class_names == ["cat", "dog"]
    assert ds.sample_shape == [2] and ds.feature_names == ["x1", "x2"]
    assert (len(ds.x_train), len(ds.x_val)) == (80, 20)
    assert np.abs(ds.x_train.mean(axis=0)).max() < 1e-5
    assert np.allclose(ds.x_train.std(axis=0), 1.0, atol=1e-4)
    assert np.bincount(ds.y_val).tolist() == [10, 10]


def test_csv_integer_target_is_classes_and_float_target_regression():
    ints = read("csv", blobs_csv(40, text_labels=False))
    assert ints.class_names == ["0", "1"]
    reg = read("csv", linear_csv(50), task="regression")
    assert reg.num_classes is None and reg.target_shape == [1]
    assert reg.y_train.dtype == np.float32


def test_csv_picks_the_named_target_and_semicolons():
    data = b"label;a;b\nyes;1;2\nno;3;4\nyes;5;6\nno;7;8\nyes;1;1\nno;2;2\n"
    ds = read("csv", data, target="label")
    assert ds.feature_names == ["a", "b"] and ds.class_names == ["no", "yes"]


@pytest.mark.parametrize(
    ("data", "target", "message"),
    [
        (b"", None, r"data\.csv: the file is empty"),
        (b"   \n\n", None, "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", None, "not a CSV file"),
        (b"\xff\xfe\xfa\xfb,a\n1,2\n", None, "not UTF-8"),
        (b"a,b,label\n", None, "header but no data rows"),
        (b"1,2,3\n4,5,6\n", None, "the first row must name the columns"),
        (b"onlyone\n1\n2\n", None, "at least one feature column"),
        (
            b"a,b,label\n1,2,x\n3,4,y\n",
            "kind",
            r"no column named 'kind'; the columns are: a, b, label",
        ),
        (b"a,b,label\n1,2,x\n3,oops,y\n", None, r"row 3, column 'b': 'oops' is not a number"),
        (b"a,b,label\n1,2,x\n3,,y\n", None, r"row 3, column 'b': an empty cell is not a number"),
        (b"a,b,label\n1,2,x\n3,4\n", None, r"row 3: expected 3 cells as in the header, got 2"),
        (b"a,b,label\n1,2,0.5\n3,4,1.5\n", None, "fractional numbers, which cannot be classes"),
        (b"a,b,label\n1,2,\n3,4,y\n", None, r"row 2, column 'label': empty target"),
        (b"a,b,label\n1,inf,x\n3,4,y\n", None, "not finite"),
    ],
)
def test_broken_csv_files_name_the_culprit(data, target, message):
    with pytest.raises(DataError, match=message):
        read("csv", data, target=target)


def test_csv_regression_target_must_be_numbers():
    with pytest.raises(DataError, match=r"row 3, column 'y': 'big' is not a number.*regression"):
        read("csv", b"a,y\n1,2.5\n2,big\n", task="regression")


def test_csv_with_one_class_or_too_few_rows():
    with pytest.raises(DataError, match="found 1 class"):
        read("csv", csv_bytes([(1, 2, "a"), (3, 4, "a")]))
    with pytest.raises(DataError, match="too few to split"):
        read("csv", csv_bytes([(1, 2, 0.5)]), task="regression")


# NPZ ---------------------------------------------------------------------------------------


def test_npz_classes_and_regression():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3, 4)).astype(np.float64)
    ds = read("npz", npz_bytes(X=x, y=np.arange(50) % 5))
    assert ds.sample_shape == [3, 4] and ds.num_classes == 5
    assert ds.x_train.dtype == np.float32
    labels = read("npz", npz_bytes(X=x, y=np.array(["a", "b"] * 25)))
    assert labels.class_names == ["a", "b"]
    reg = read("npz", npz_bytes(X=x, y=rng.normal(size=50)), task="regression")
    assert reg.target_shape == [1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"hello, not a zip", "not an .npz file"),
        (
            npz_bytes(features=np.zeros((4, 2)), y=np.zeros(4)),
            r"missing array X; found: features, y",
        ),
        (npz_bytes(X=np.zeros((4, 2))), "missing array y"),
        (npz_bytes(X=np.array(["a", "b"]), y=np.zeros(2)), "X must be a numeric array"),
        (npz_bytes(X=np.zeros((4, 2)), y=np.zeros(3)), "X has 4 samples but y has 3"),
        (npz_bytes(X=np.full((4, 2), np.nan), y=np.zeros(4)), "NaN or infinite values"),
        (npz_bytes(X=np.zeros((4, 2)), y=np.zeros((4, 2))), r"one label per sample, shape \[N\]"),
        (npz_bytes(X=np.zeros((4, 2)), y=np.array([0.5, 1, 0, 1])), "fractional numbers"),
    ],
)
def test_broken_npz_files(data, message):
    with pytest.raises(DataError, match=message):
        read("npz", data)


def test_npz_with_pickled_objects_is_refused():
    data = npz_bytes(X=np.array([{"a": 1}, {"b": 2}], dtype=object), y=np.zeros(2))
    with pytest.raises(DataError, match="holds Python objects"):
        read("npz", data)


# Image ZIPs --------------------------------------------------------------------------------


def test_image_zip_one_folder_per_class_resized_to_the_input():
    ds = read("images", image_zip(root="photos/"), input_shape=[1, 8, 6])
    assert ds.class_names == ["bright", "dark"]
    assert ds.sample_shape == [1, 8, 6]
    assert len(ds.x_train) + len(ds.x_val) == 20
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    bright = ds.x_train[ds.y_train == 0].mean()
    assert bright > ds.x_train[ds.y_train == 1].mean() + 0.3


def test_image_zip_channels_follow_the_input_and_gan_range():
    rgb = read("images", image_zip(rgb=True), input_shape=[3, 10, 10])
    assert rgb.sample_shape == [3, 10, 10]
    gray = read("images", image_zip(rgb=True), input_shape=[1, 10, 10], task="gan")
    assert gray.sample_shape == [1, 10, 10] and gray.x_train.min() >= -1.0
    assert gray.x_train.min() < 0


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "shape", "message"),
    [
        (b"", [1, 8, 8], "the file is empty"),
        (b"PK not really", [1, 8, 8], "not a ZIP archive"),
        (_zip({"a/readme.txt": "hi", "b/notes.md": "x"}), [1, 8, 8], "the ZIP holds no images"),
        (
            _zip({"a/1.png": b"this is no png", "b/2.png": b"nor this"}),
            [1, 8, 8],
            r"cannot read image 'a/1.png'",
        ),
        (_zip({"a/1.png": png_bytes(np.zeros((4, 4)))}), [1, 8, 8], "found 1 class"),
        (
            _zip({"1.png": png_bytes(np.zeros((4, 4))), "a/2.png": png_bytes(np.zeros((4, 4)))}),
            [1, 8, 8],
            "not inside a class folder",
        ),
        (image_zip(), [8, 8], r"needs an Input of shape \[C, H, W\], got \[8, 8\]"),
        (image_zip(), [2, 8, 8], "1, 3 or 4 channels"),
    ],
)
def test_broken_image_zips(data, shape, message):
    with pytest.raises(DataError, match=message):
        read("images", data, input_shape=shape)


def test_zip_bomb_is_refused_before_unpacking():
    bomb = _zip({"a/1.png": b"\0" * (3 * 2**20), "b/2.png": b"\0" * 10})
    assert len(bomb) < 20_000
    with pytest.raises(DataError, match=r"unpack to 3 MiB, more than the limit of 0 MiB"):
        read("images", bomb, input_shape=[1, 8, 8], max_bytes=40_000)
    npz_bomb = npz_bytes(X=np.zeros((800, 1000)), y=np.zeros(800))
    with pytest.raises(DataError, match="unpacks to"):
        read("npz", _zip({"X.npy": npz_bomb * 1}), max_bytes=len(npz_bomb) // 20)


# Files on disk -----------------------------------------------------------------------------


def test_files_by_path_with_size_limit(tmp_path, monkeypatch):
    path = tmp_path / "blobs.csv"
    path.write_bytes(blobs_csv(60))
    ds = load_dataset({"task": "classification", "dataset": {"type": "csv", "path": str(path)}})
    assert ds.name == "blobs.csv" and ds.num_classes == 2
    monkeypatch.setenv("NETBUILDER_MAX_DATA_MB", "0.001")
    with pytest.raises(DataError, match=r"blobs.csv: .* MB is more than the limit of 0.0 MB"):
        load_dataset({"dataset": {"type": "csv", "path": str(path)}})


def test_missing_file_and_bad_settings(tmp_path):
    with pytest.raises(DataError, match=r"nope.csv: no such file"):
        load_dataset({"dataset": {"type": "csv", "path": str(tmp_path / "nope.csv")}})
    with pytest.raises(DataError, match="type must be one of csv, npz, images"):
        load_dataset({"dataset": {"type": "xlsx", "path": "a.xlsx"}})
    with pytest.raises(DataError, match="no data set chosen"):
        load_dataset({"dataset": ""})
