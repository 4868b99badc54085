"""The trainer on real data: every task learns, events are plain dicts, same seed same metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from builder import infer_shapes, load_design
from builder.data import Dataset, check_dataset, load_dataset
from builder.design.presets import load_preset
from builder.errors import GraphError
from builder.training.checks import gan_problems, settings_for
from builder.training.control import RunControl
from builder.training.runner import run_loop, train_loop
from tests.builder.data_files import blobs_csv, image_zip, linear_csv, npz_bytes, one_torch_thread
from tests.builder.helpers import chain_design

one_thread = pytest.fixture(autouse=True)(one_torch_thread)


def mlp(input_shape, out, training, hidden=16):
    layers = [("in", "Input", {"shape": input_shape})]
    if len(input_shape) > 1:
        layers.append(("flat", "Flatten", {}))
    layers += [
        ("h", "Dense", {"out_features": hidden, "activation": "relu"}),
        ("out", "Dense", {"out_features": out}),
    ]
    return load_design(chain_design(*layers, training=training))


def train(design, **kwargs):
    events = []
    result = run_loop(train_loop, design, RunControl([events.append]), **kwargs)
    return result, events


def last(events, kind):
    return [e for e in events if e["type"] == kind][-1]


def test_classification_on_moons_learns_and_emits_events(tmp_path):
    design = load_preset("mlp_moons").with_training(epochs=8)
    result, events = train(design, out_dir=tmp_path)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert kinds.count("epoch") == 8 and "step" in kinds
    epoch = last(events, "epoch")
    assert epoch["val_accuracy"] > 0.85
    assert {"train_loss", "val_loss", "lr", "samples_per_sec", "confusion"} <= set(epoch)
    confusion = np.array(epoch["confusion"])
    assert confusion.shape == (2, 2) and confusion.sum() == 200
    assert confusion.trace() / 200 == pytest.approx(epoch["val_accuracy"])
    done = events[-1]
    assert done["status"] == "finished" and done["final"]["epochs"] == 8
    weights = torch.load(done["weights_path"], weights_only=True)
    assert set(weights) == set(result.weights)


def test_forecasting_on_sine_with_lstm_learns():
    design = load_preset("lstm_sine").with_training(epochs=3, batch_size=32)
    full = load_dataset(design.training)
    small = Dataset(
        "sine", "forecasting", full.x_train[:1200], full.y_train[:1200], full.x_val, full.y_val
    )
    _, events = train(design, dataset=small)
    epochs = [e for e in events if e["type"] == "epoch"]
    baseline = float(np.mean(full.y_val**2))  # always predicting 0
    assert epochs[-1]["val_loss"] < baseline / 5
    assert "val_accuracy" not in epochs[-1]
    preds = epochs[-1]["predictions"]
    assert len(preds["true"]) == len(preds["pred"]) == 100
    assert preds["true"] == full.y_val[:100, 0].tolist()


def test_regression_on_a_csv(tmp_path):
    path = tmp_path / "linear.csv"
    path.write_bytes(linear_csv(300))
    training = {
        "task": "regression",
        "dataset": {"type": "csv", "path": str(path), "target": "price"},
        "optimizer": {"type": "adam", "lr": 0.02},
        "epochs": 15,
        "batch_size": 32,
    }
    _, events = train(mlp([2], 1, training))
    assert last(events, "done")["final"]["val_loss"] < 0.1


@pytest.mark.parametrize("loss", ["nll", "bce", "kl_div"])
def test_other_classification_losses_train(tmp_path, loss):
    path = tmp_path / "blobs.csv"
    path.write_bytes(blobs_csv(100))
    training = {
        "dataset": {"type": "csv", "path": str(path)},
        "loss": loss,
        "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
        "schedule": {"type": "cosine"},
        "epochs": 6,
    }
    layers = [
        ("in", "Input", {"shape": [2]}),
        ("out", "Dense", {"out_features": 1 if loss == "bce" else 2}),
    ]
    design = load_design(chain_design(*layers, training=training))
    _, events = train(design)
    assert last(events, "epoch")["val_accuracy"] > 0.9
    assert last(events, "epoch")["lr"] < 0.1  # cosine schedule


def test_image_zip_and_npz_designs_train(tmp_path):
    path = tmp_path / "shades.zip"
    path.write_bytes(image_zip(per_class=20))
    training = {"dataset": {"type": "images", "path": str(path)}, "epochs": 10, "batch_size": 8}
    training["optimizer"] = {"type": "adam", "lr": 0.03}
    _, events = train(mlp([1, 6, 6], 2, training))
    assert last(events, "epoch")["val_accuracy"] >= 0.8
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    npz = tmp_path / "half.npz"
    npz.write_bytes(npz_bytes(X=x, y=y))
    training = {"dataset": {"type": "npz", "path": str(npz)}, "epochs": 8}
    training["optimizer"] = {"type": "rmsprop", "lr": 0.01}
    _, events = train(mlp([4], 2, training))
    assert last(events, "epoch")["val_accuracy"] >= 0.8


def test_same_seed_same_metrics_other_seed_other_metrics():
    design = load_preset("mlp_moons").with_training(epochs=3)

    def metrics(seed):
        _, events = train(design, seed=seed)
        return [
            (e["train_loss"], e["val_loss"], e["val_accuracy"])
            for e in events
            if e["type"] == "epoch"
        ]

    assert metrics(5) == metrics(5)
    assert metrics(5) != metrics(6)


def test_nan_loss_stops_with_the_step_and_a_lower_lr():
    # The largest learning rate the settings accept (10) with momentum makes the LSTM diverge.
    optimizer = {"type": "sgd", "lr": 10.0, "momentum": 0.9}
    design = load_preset("lstm_sine").with_training(epochs=2, optimizer=optimizer)
    _, events = train(design)
    error = events[-1]
    assert error["type"] == "error"
    assert error["step"] >= 1 and f"at step {error['step']}" in error["message"]
    assert "learning rate" in error["message"] and "try 1)" in error["message"]


def test_data_that_does_not_fit_the_design_is_refused_with_both_shapes():
    design = mlp([4], 10, {"dataset": "moons"})
    ds = load_dataset({"dataset": "moons"})
    problems = check_dataset(ds, design, infer_shapes(design))
    texts = [str(p) for p in problems]
    assert any("samples of shape [2], but the Input expects [4]" in t for t in texts)
    assert any("output shape is [10] but the data set has 2 classes" in t for t in texts)
    assert {p.node_id for p in problems} == {"in", "out"}
    _, events = train(design)
    assert events[-1]["type"] == "error"
    assert "expects [4]" in events[-1]["message"]
    assert {p["node_id"] for p in events[-1]["problems"]} == {"in", "out"}


def test_wrong_loss_for_the_task_is_refused():
    design = load_preset("lstm_sine").with_training(loss="cross_entropy", epochs=1)
    _, events = train(design)
    assert events[-1]["type"] == "error"
    assert (
        "loss 'cross_entropy' is for classes, but the task is forecasting" in events[-1]["message"]
    )


def test_settings_refuse_a_loss_of_another_task_and_nesterov_without_momentum():
    from builder.design.settings import resolved_training, validate_training

    texts = [
        str(p)
        for p in validate_training(
            {"task": "forecasting", "loss": "bce", "optimizer": {"type": "sgd", "nesterov": True}}
        )
    ]
    assert (
        "training.loss 'bce' does not fit the task 'forecasting': use mse or l1 or huber" in texts
    )
    assert any("nesterov needs momentum" in t for t in texts)
    assert resolved_training({"task": "regression"})["loss"] == "mse"
    assert validate_training({"task": "gan", "loss": "bce"}) == []


def test_settings_outside_their_declared_bounds_are_refused_before_training():
    design = load_preset("mlp_moons").with_training(optimizer={"type": "sgd", "lr": 1e12})
    with pytest.raises(GraphError, match=r"training\.optimizer\.lr"):
        settings_for(design)
    gan = load_preset("gan_moons").with_training(
        optimizers={"discriminator": {"type": "sgd", "nesterov": True}}
    )
    assert any("nesterov needs momentum" in str(p) for p in gan_problems(gan))
