"""Built-in data sets: shapes, ranges, classes, splits and previews."""

from __future__ import annotations

import numpy as np
import pytest

from builder.data import BUILTIN, describe_dataset, load_dataset
from builder.data.sources import random_split, stratified_split


def load(name, task="classification", seed=0):
    return load_dataset({"dataset": name, "task": task, "seed": seed})


@pytest.mark.parametrize(
    ("name", "shape", "classes", "n_train", "n_val"),
    [
        ("digits", [1, 8, 8], 10, 1438, 359),
        ("moons", [2], 2, 800, 200),
        ("circles", [2], 2, 800, 200),
        ("spirals", [2], 3, 720, 180),
        ("waves", [32, 1], 3, 3000, 600),
    ],
)
def test_classification_sets(name, shape, classes, n_train, n_val):
    ds = load(name)
    assert ds.sample_shape == shape
    assert ds.num_classes == classes and len(ds.class_names) == classes
    assert (len(ds.x_train), len(ds.x_val)) == (n_train, n_val)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert set(np.unique(ds.y_val)) == set(range(classes))
    assert np.isfinite(ds.x_train).all()


def test_digits_are_sklearns_digits_in_unit_range_and_symmetric_for_gan():
    from sklearn.datasets import load_digits

    ref = load_digits()
    ds = load("digits")
    x = np.concatenate([ds.x_train, ds.x_val]).reshape(len(ref.data), -1)
    ours = sorted(map(tuple, np.round(x * 16).astype(int)))
    assert ours == sorted(map(tuple, ref.data.astype(int)))
    assert x.min() == 0.0 and x.max() == 1.0
    gan = load("digits", task="gan")
    assert gan.x_train.min() == -1.0 and gan.x_train.max() == 1.0


def test_sine_is_a_forecasting_set_in_range():
    ds = load("sine", task="forecasting")
    assert ds.task == "forecasting"
    assert ds.sample_shape == [32, 1] and ds.target_shape == [1]
    assert (len(ds.x_train), len(ds.x_val)) == (4000, 1000)
    assert ds.num_classes is None
    # values in [-1, 1] plus noise of sigma 0.05
    assert -1.3 < ds.x_train.min() and ds.x_train.max() < 1.3
    # the target is the step after the window: close to the last value on average
    assert np.mean((ds.y_val[:, 0] - ds.x_val[:, -1, 0]) ** 2) < 0.2


def test_waves_classes_are_balanced():
    ds = load("waves")
    counts = np.bincount(ds.y_train, minlength=3)
    assert counts.min() > 900


def test_stratified_split_keeps_class_shares_and_is_fixed_by_seed():
    y = np.array([0] * 50 + [1] * 30 + [2] * 20)
    train, val = stratified_split(y, seed=3)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(100))
    assert np.bincount(y[val]).tolist() == [10, 6, 4]
    again, _ = stratified_split(y, seed=3)
    other, _ = stratified_split(y, seed=4)
    assert np.array_equal(train, again) and not np.array_equal(train, other)
    tr, va = random_split(10, seed=0)
    assert len(va) == 2 and len(set(tr) | set(va)) == 10


def test_seed_changes_split_but_not_data():
    a, b = load("moons", seed=0), load("moons", seed=1)
    both = lambda d: sorted(map(tuple, np.concatenate([d.x_train, d.x_val])))  # noqa: E731
    assert both(a) == both(b)
    assert not np.array_equal(a.x_train, b.x_train)


def test_unknown_builtin_names_the_choices():
    with pytest.raises(ValueError, match="unknown data set 'mnist'.*digits"):
        load("mnist")


def test_describe_dataset_for_the_page():
    info = describe_dataset({"dataset": "digits", "task": "classification"})
    assert info["sample_shape"] == [1, 8, 8]
    assert info["num_classes"] == 10 and info["class_names"][3] == "3"
    assert (info["n_train"], info["n_val"]) == (1438, 359)
    assert sum(info["class_counts"]) == 1438
    assert info["preview"]["x"].shape == (16, 1, 8, 8)
    assert set(BUILTIN) == {
        "digits",
        "moons",
        "circles",
        "spirals",
        "sine",
        "waves",
        "python_docs",
        "python_docs_pages",
    }
    sine = describe_dataset({"dataset": "sine", "task": "forecasting"})
    assert sine["target_shape"] == [1] and sine["num_classes"] is None
