"""Health statistics recorded by train.py, the alerts over them, their fixes, and the lr finder."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys

import numpy as np
import pytest
import torch

from builder.codegen.program import training_program
from builder.design.fixes import alert_fixes, apply_fix
from builder.design.presets import list_presets, load_preset
from builder.design.shapes import analyze
from builder.design.spec import load_design
from builder.introspect.health_alerts import Alert, classes_of, find_alerts
from builder.runs.store import RunStore
from builder.training.control import RunControl
from builder.training.lr_find import find_learning_rate
from builder.training.runner import run_loop
from tests.builder.helpers import MOONS, chain_design, sigmoid_mlp


class Hooks:
    """train()'s hooks that keep every event."""

    step_every = 1000
    stopped = False

    def __init__(self):
        self.events = []

    def emit(self, kind, /, **fields):
        self.events.append({"type": kind, **fields})

    def checkpoint(self):
        return True

    def epoch_weights(self, weights):
        pass


def trained(design, health_every=None, **kwargs):
    """Every event of a run of the design, through the app's own runner."""
    events = []
    run_loop(None, design, RunControl([events.append]), health_every=health_every, **kwargs)
    return events


def alerts_of(events) -> list[Alert]:
    records = [e for e in events if e["type"] == "health"]
    epochs = [e for e in events if e["type"] == "epoch"]
    start = next((e for e in events if e["type"] == "start"), {})
    return find_alerts(records, epochs, classes_of(start, epochs))


def test_statistics_match_ones_computed_by_hand():
    design = chain_design(
        ("input", "Input", {"shape": [3]}),
        ("h", "Dense", {"out_features": 5, "activation": "relu"}),
        ("s", "Dense", {"out_features": 4, "activation": "sigmoid"}),
        ("output", "Dense", {"out_features": 2}),
        training={**MOONS, "optimizer": {"type": "sgd", "lr": 0.5}, "batch_size": 32},
    )
    program = training_program(design)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32) * 3
    y = rng.integers(0, 2, size=32).astype(np.int64)
    data = {"x_train": x, "y_train": y, "x_val": x, "y_val": y, "classes": ["a", "b"],
            "features": None, "vocab": None}  # fmt: skip
    hooks = Hooks()
    program.train(hooks, data, epochs=1, seed=3, batch_size=32, health_every=1)
    record = next(e for e in hooks.events if e["type"] == "health")
    assert record["step"] == 1 and record["epoch"] == 1

    # By hand: the same initial weights, the whole (single) batch, one SGD step.
    torch.manual_seed(3)
    model = program.Model()
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    h = torch.relu(model.h(torch.from_numpy(x)))
    s = torch.sigmoid(model.s(h))
    loss = torch.nn.functional.cross_entropy(model.output(s), torch.from_numpy(y))
    loss.backward()
    for name, p in model.named_parameters():
        stats = record["params"][name]
        assert stats["node"] == name.split(".")[0]
        assert math.isclose(stats["weight_norm"], before[name].norm().item(), rel_tol=1e-5)
        assert math.isclose(stats["grad_norm"], p.grad.norm().item(), rel_tol=1e-5)
        update = (0.5 * p.grad).norm() / before[name].norm()
        assert math.isclose(stats["update_ratio"], update.item(), rel_tol=1e-4)
    hn, sn = record["nodes"]["h"], record["nodes"]["s"]
    assert math.isclose(hn["mean"], h.mean().item(), rel_tol=1e-5)
    assert math.isclose(hn["std"], h.std(correction=0).item(), rel_tol=1e-5)
    assert math.isclose(hn["zero"], (h.abs() <= 1e-6).float().mean().item(), abs_tol=1e-7)
    assert math.isclose(hn["dead"], 1 - (h > 0).any(0).float().mean().item(), abs_tol=1e-7)
    assert hn["saturated"] is None and sn["dead"] is None
    assert math.isclose(sn["saturated"], ((s < 0.02) | (s > 0.98)).float().mean().item())
    edges = torch.tensor(program.HIST_EDGES)
    counts = torch.bincount(torch.bucketize(s.detach().flatten(), edges), minlength=21)
    assert sn["hist"] == pytest.approx((counts.float() / s.numel()).tolist())
    assert sum(hn["hist"]) == pytest.approx(1.0)


@pytest.mark.slow
def test_recording_changes_nothing_in_the_run():
    # Dropout draws random numbers and BatchNorm keeps running statistics: neither may move.
    design = chain_design(
        ("input", "Input", {"shape": [2]}),
        ("h1", "Dense", {"out_features": 32, "activation": "relu"}),
        ("bn", "BatchNorm", {}),
        ("drop", "Dropout", {"p": 0.3}),
        ("h2", "Dense", {"out_features": 16, "activation": "tanh"}),
        ("output", "Dense", {"out_features": 2}),
        training={**MOONS, "optimizer": {"type": "adam", "lr": 0.01}, "epochs": 2},
    )
    program = training_program(design)
    runs, weights = [], []
    for every in (1, 0):
        events = []
        result = run_loop(None, design, RunControl([events.append]), health_every=every)
        runs.append(events)
        weights.append(result.weights)
    (on, off) = runs
    assert weights[0].keys() == weights[1].keys()
    for key in weights[0]:
        assert torch.equal(weights[0][key], weights[1][key]), key
    assert any(e["type"] == "health" for e in on) and not any(e["type"] == "health" for e in off)
    epochs_on = [e for e in on if e["type"] == "epoch"]
    epochs_off = [e for e in off if e["type"] == "epoch"]
    for a, b in zip(epochs_on, epochs_off, strict=True):
        assert a["train_loss"] == b["train_loss"] and a["val_loss"] == b["val_loss"]
        assert a["val_accuracy"] == b["val_accuracy"]
    assert program.RECORDS_HEALTH


@pytest.mark.slow
def test_deep_sigmoid_mlp_raises_vanishing_gradients_on_its_first_layer():
    alerts = alerts_of(trained(sigmoid_mlp(), health_every=5, epochs=2))
    vanishing = [a for a in alerts if a.kind == "vanishing_gradients"]
    assert [a.node for a in vanishing] == ["h1"]
    assert "h1" in vanishing[0].message


@pytest.mark.slow
def test_a_learning_rate_that_kills_relus_raises_dead_units():
    design = load_preset("mlp_moons").to_dict()
    design["training"]["optimizer"] = {"type": "sgd", "lr": 10.0}
    alerts = alerts_of(trained(design, health_every=2, epochs=3))
    dead = {a.node for a in alerts if a.kind == "dead_units"}
    assert dead and dead <= {"hidden1", "hidden2"}


def nan_design():
    return chain_design(
        ("input", "Input", {"shape": [2]}),
        ("h1", "Dense", {"out_features": 8, "activation": "relu"}),
        ("h2", "Dense", {"out_features": 8, "activation": "relu"}),
        ("h3", "Dense", {"out_features": 8, "activation": "relu"}),
        ("output", "Dense", {"out_features": 2}),
        training={**MOONS, "optimizer": {"type": "sgd", "lr": 0.1}},
    )


def test_a_nan_made_inside_one_layer_is_named():
    design = nan_design()
    torch.manual_seed(0)
    weights = training_program(design).Model().state_dict()
    weights["h2.weight"][0, 0] = float("nan")  # h2's output is the first that is not finite
    events = trained(design, initial_weights=weights)
    error = events[-1]
    assert error["type"] == "error" and "'h2'" in error["message"], error
    assert [(a.kind, a.node) for a in alerts_of(events) if a.kind == "non_finite"] == [
        ("non_finite", "h2")
    ]


PRESET_STEPS = 40  # a whole epoch of a text preset takes minutes; a small data set stops sooner


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [p["name"] for p in list_presets() if load_preset(p["name"]).training.get("task") != "gan"],
)
def test_shipped_presets_raise_no_alert(name):
    events = []
    control = RunControl([events.append], step_every=1)

    def stop_in_time(event):
        if event["type"] == "step" and event["step"] >= PRESET_STEPS:
            control.stop()

    control.add_sink(stop_in_time)
    run_loop(None, load_preset(name), control, epochs=2, health_every=5)
    assert events[-1]["type"] == "done", events[-1]
    assert sum(e["type"] == "health" for e in events) >= 2
    assert [(a.kind, a.node, a.message) for a in alerts_of(events)] == []


def test_fixes_apply_and_undo():
    design = load_design(sigmoid_mlp(4))
    original = design.to_dict()
    alerts = [
        Alert("vanishing_gradients", "h1", 1, "", "problem", ("relu_everywhere", "norm_after")),
        Alert("dead_units", "h2", 1, "", "problem", ("leaky_relu", "lower_lr")),
        Alert("saturated_units", "h3", 1, "", "warning", ("relu", "norm_before")),
        Alert("exploding_gradients", "h1", 1, "", "problem", ("clip_gradients",)),
    ]
    fixes = [fix for alert in alerts for fix in alert_fixes(design, alert)]
    assert len(fixes) == 7
    for fix in fixes:
        fixed = apply_fix(design, fix.id)
        assert fixed == fix.design and fixed != design, fix.id
        assert not analyze(fixed).problems, fix.id
        assert design.to_dict() == original  # the design before the fix is untouched: undo is it
    by_id = {f.id: f.design for f in fixes}
    relu = by_id["health:relu_everywhere"].models["model"]
    assert {n.params.get("activation") for n in relu.nodes if n.type == "Dense"} == {
        "relu",
        None,
    }
    assert (
        by_id["health:activation:leaky_relu:h2"].models["model"].node("h2").params["activation"]
        == "leaky_relu"
    )
    assert by_id["health:lower_lr"].training["optimizer"]["lr"] == pytest.approx(0.005)
    clipped = by_id["health:clip_gradients"]
    assert clipped.training["clip_grad_norm"] == 1.0
    assert "CLIP_GRAD_NORM = 1.0" in training_program_source(clipped)
    norm = by_id["health:norm:h1"].models["model"]
    added = next(n for n in norm.nodes if n.type == "BatchNorm")
    assert ("h1", added.id) in norm.edges and (added.id, "h2") in norm.edges
    before_h3 = by_id["health:norm:h2"].models["model"]
    assert any(t == "h3" and s.startswith("batchnorm") for s, t in before_h3.edges)
    # A fix that no longer applies changes nothing.
    assert apply_fix(by_id["health:clip_gradients"], "health:clip_gradients") is None
    assert apply_fix(design, "health:activation:relu:nowhere") is None


def training_program_source(design):
    from builder.codegen.training_source import generate_train_script

    return generate_train_script(design)


@pytest.mark.parametrize("amp", [False, True], ids=["float32", "mixed_precision"])
def test_gradient_clipping_bounds_each_step(amp):
    design = load_preset("mlp_moons").to_dict()
    design["training"]["clip_grad_norm"] = 1e-3
    design["training"]["amp"] = amp  # health is read and the step clipped under autocast too
    design["training"]["optimizer"] = {"type": "sgd", "lr": 1.0}
    events = trained(design, health_every=1, epochs=1)
    records = [e for e in events if e["type"] == "health"]
    assert len(records) == events[0]["steps_per_epoch"]
    for record in records:  # SGD's step is lr x the clipped gradient: at most 1e-3 in all
        steps = [s["update_ratio"] * s["weight_norm"] for s in record["params"].values()]
        assert math.sqrt(sum(v * v for v in steps)) <= 1e-3 * (1 + 1e-4)


def test_health_is_kept_in_the_run_store_and_old_stores_open(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    with sqlite3.connect(old / "runs.sqlite") as db:  # a store from before health was kept
        db.executescript(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, task TEXT,"
            " dataset TEXT, design TEXT NOT NULL, status TEXT NOT NULL, started_at REAL NOT NULL,"
            " ended_at REAL, weights_path TEXT, out_dir TEXT, final TEXT, error TEXT, pid INTEGER,"
            " host TEXT, design_id TEXT);"
            "INSERT INTO runs (name, design, status, started_at) VALUES ('x', '{}', 'finished', 0);"
        )
    store = RunStore(old)
    assert store.health(1) == []
    run_id = store.create_run(load_preset("mlp_moons"))
    sink = store.sink(run_id)
    sink({"type": "health", "step": 1, "epoch": 1, "nodes": {}, "params": {}})
    sink({"type": "health", "step": 7, "epoch": 1, "non_finite": "h2"})
    assert store.health(run_id) == [
        {"step": 1, "epoch": 1, "nodes": {}, "params": {}},
        {"step": 7, "epoch": 1, "non_finite": "h2"},
    ]
    store.delete_run(run_id)
    assert store.health(run_id) == []


def test_learning_rate_finder_rises_exponentially_and_suggests_from_the_valley():
    design = load_preset("mlp_moons")
    found = find_learning_rate(design)
    lrs, losses = found["lrs"], found["losses"]
    assert lrs[0] == pytest.approx(1e-7) and len(lrs) == len(losses) <= 100
    ratios = [b / a for a, b in zip(lrs, lrs[1:], strict=False)]
    assert max(ratios) == pytest.approx(min(ratios)) and ratios[0] > 1
    assert found["suggested_lr"] in lrs
    i = lrs.index(found["suggested_lr"])
    assert losses[i] < losses[0]  # the suggestion is where the loss falls
    # Stopped when the smoothed loss passed 4x its best, or ran out of steps at lr 10.
    assert losses[-1] > 4 * min(losses) or len(lrs) == 100


@pytest.mark.slow
def test_cli_prints_alerts_and_writes_health_jsonl(tmp_path):
    design = nan_design()
    path = tmp_path / "design.json"
    path.write_text(json.dumps(design))
    torch.manual_seed(0)
    weights = training_program(design).Model().state_dict()
    weights["h2.weight"][0, 0] = float("nan")
    torch.save(weights, tmp_path / "start.pt")
    base = [sys.executable, "-m", "builder", "train", str(path), "--epochs", "1"]
    base += ["--workspace", str(tmp_path / "ws"), "--threads", "1"]
    failing = subprocess.run(
        [*base, "--out", str(tmp_path / "a"), "--weights", str(tmp_path / "start.pt")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert failing.returncode == 1
    assert "alert non_finite at h2:" in failing.stderr
    summary = json.loads(failing.stdout.strip().splitlines()[-1])
    assert summary["status"] == "error" and "'h2'" in summary["error"]
    assert [(a["kind"], a["node"], a["epoch"]) for a in summary["alerts"]] == [
        ("non_finite", "h2", 1)
    ]
    records = (tmp_path / "a" / "health.jsonl").read_text().splitlines()
    assert json.loads(records[-1]) == {"step": 1, "epoch": 1, "non_finite": "h2"}
    quiet = subprocess.run(
        [*base, "--out", str(tmp_path / "b"), "--no-health"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout.strip().splitlines()[-1])["alerts"] == []
    assert not (tmp_path / "b" / "health.jsonl").exists()
    assert (tmp_path / "b" / "metrics.jsonl").exists()


@pytest.mark.slow
def test_lr_find_command_prints_one_json_line(tmp_path):
    path = tmp_path / "design.json"
    path.write_text(load_preset("mlp_moons").to_json())
    cmd = [sys.executable, "-m", "builder", "lr-find", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    found = json.loads(lines[0])
    assert set(found) == {"suggested_lr", "lrs", "losses"}
    assert found["suggested_lr"] in found["lrs"]
