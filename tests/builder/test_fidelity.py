"""The fidelity contract: the exported train.py is the training that ran.

For every shipped preset and every task, `python -m builder train D --epochs E --seed S
--threads 1` and the exported `python train.py --epochs E --seed S` (OMP_NUM_THREADS=1) write
the same per-epoch metrics (6 significant digits) and equal weights; so does a run trained by
the app's worker process.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from builder import build_model, generate_code, load_design
from builder.codegen.training_source import generate_train_script
from builder.design.presets import list_presets, load_preset
from builder.runs.job import RunOptions
from builder.runs.launch import start_run
from builder.runs.samples_file import SAMPLES_FILE, read_samples
from builder.runs.store import RunStore
from tests.builder.data_files import linear_csv
from tests.builder.helpers import chain_design

pytestmark = pytest.mark.slow

SHARED = ("train_loss", "val_loss", "val_accuracy", "val_perplexity", "lr", "d_loss", "g_loss",
          "d_real", "d_fake")  # fmt: skip
PRESETS = [p["name"] for p in list_presets()]
EPOCHS = {  # the slow ones, kept short
    "dcgan_digits": 1,
    "residual_cnn_digits": 2,
    "transformer_text": 1,
    "lstm_text": 1,
}


def clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    return env


def cli_train(design_path: Path, out: Path, workspace: Path, epochs: int, seed: int):
    cmd = [sys.executable, "-m", "builder", "train", str(design_path), "--epochs", str(epochs)]
    cmd += ["--seed", str(seed), "--threads", "1", "--out", str(out), "--workspace", str(workspace)]
    cmd.append("--quiet")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=clean_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr


def exported_train(design, folder: Path, epochs: int, seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.py").write_text(generate_code(design))
    (folder / "train.py").write_text(generate_train_script(design))
    cmd = [sys.executable, "train.py", "--epochs", str(epochs), "--seed", str(seed)]
    cmd += ["--out", "out"]
    proc = subprocess.run(
        cmd, cwd=folder, capture_output=True, text=True, timeout=600, env=clean_env()
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder / "out"


def rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def assert_same_metrics(ours: list[dict], theirs: list[dict]) -> None:
    assert [r["epoch"] for r in ours] == [r["epoch"] for r in theirs]
    for a, b in zip(ours, theirs, strict=True):
        shared = [k for k in SHARED if k in a or k in b]
        assert shared
        for key in shared:
            assert key in a and key in b, (key, a, b)
            assert math.isclose(a[key], b[key], rel_tol=1e-6, abs_tol=1e-12), (key, a, b)


def assert_same_weights(path_a: Path, path_b: Path) -> None:
    a = torch.load(path_a, weights_only=True)
    b = torch.load(path_b, weights_only=True)
    flat_a = a if "generator" not in a else {f"{m}.{k}": v for m in a for k, v in a[m].items()}
    flat_b = b if "generator" not in b else {f"{m}.{k}": v for m in b for k, v in b[m].items()}
    assert flat_a.keys() == flat_b.keys()
    for key in flat_a:
        assert torch.equal(flat_a[key], flat_b[key]), key


def check_fidelity(design, tmp_path: Path, epochs: int, seed: int) -> list[dict]:
    design_path = tmp_path / "design.json"
    design_path.write_text(design.to_json())
    cli_out = tmp_path / "cli"
    cli_train(design_path, cli_out, tmp_path / "workspace", epochs, seed)
    script_out = exported_train(design, tmp_path / "export", epochs, seed)
    ours, theirs = rows(cli_out), rows(script_out)
    assert len(ours) == epochs
    assert_same_metrics(ours, theirs)
    assert_same_weights(cli_out / "weights.pt", script_out / "weights.pt")
    if (script_out / "samples.json").exists():  # a language model wrote the same lines
        samples, kind = read_samples(cli_out / SAMPLES_FILE)
        assert kind == "text"
        lines = json.loads((script_out / "samples.json").read_text(encoding="utf-8"))["lines"]
        assert [str(line) for line in samples[max(samples)]] == lines
    return ours


@pytest.mark.parametrize("preset", PRESETS)
def test_cli_and_exported_script_train_identically(preset, tmp_path):
    epochs = EPOCHS.get(preset, 3)
    check_fidelity(load_preset(preset), tmp_path, epochs, seed=3)


def test_a_regression_design_on_a_csv_trains_identically(tmp_path):
    data = tmp_path / "linear.csv"
    data.write_bytes(linear_csv(200))
    training = {
        "task": "regression",
        "dataset": {"type": "csv", "path": str(data), "target": "price"},
        "loss": "huber",
        "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
        "schedule": {"type": "step", "step_size": 1, "gamma": 0.5},
        "batch_size": 16,
    }
    layers = [
        ("in", "Input", {"shape": [2]}),
        ("h", "Dense", {"out_features": 8, "activation": "tanh"}),
        ("out", "Dense", {"out_features": 1}),
    ]
    design = load_design(chain_design(*layers, training=training))
    got = check_fidelity(design, tmp_path, epochs=3, seed=5)
    assert [r["lr"] for r in got] == [0.05, 0.025, 0.0125]


def test_a_run_trained_in_the_app_reproduces_from_its_export(tmp_path):
    design = load_preset("lenet_digits").with_training(epochs=2, seed=7)
    handle = start_run(design, tmp_path / "workspace", RunOptions(threads=1))
    assert handle.wait(300) == 0
    store = RunStore(tmp_path / "workspace")
    run = store.get_run(handle.run_id)
    assert run["status"] == "finished"
    script_out = exported_train(load_design(run["design"]), tmp_path / "export", 2, 7)
    assert_same_metrics(store.metrics(handle.run_id), rows(script_out))
    assert_same_weights(Path(run["weights_path"]), script_out / "weights.pt")


def test_training_from_imported_weights_reproduces_in_the_export(tmp_path):
    design = load_preset("mlp_moons")
    torch.manual_seed(123)
    start = build_model(design).state_dict()  # weights from elsewhere, not the seed's
    torch.save(start, tmp_path / "start.pt")
    design_path = tmp_path / "design.json"
    design_path.write_text(design.to_json())
    cmd = [sys.executable, "-m", "builder", "train", str(design_path), "--epochs", "2"]
    cmd += ["--seed", "3", "--threads", "1", "--out", str(tmp_path / "cli"), "--quiet"]
    cmd += ["--workspace", str(tmp_path / "ws"), "--weights", str(tmp_path / "start.pt")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "model.py").write_text(generate_code(design))
    (folder / "train.py").write_text(generate_train_script(design))
    cmd = [sys.executable, "train.py", "--epochs", "2", "--seed", "3", "--out", "out"]
    cmd += ["--weights", str(tmp_path / "start.pt")]
    proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    ours, theirs = rows(tmp_path / "cli"), rows(folder / "out")
    assert_same_metrics(ours, theirs)
    assert_same_weights(tmp_path / "cli" / "weights.pt", folder / "out" / "weights.pt")
    (tmp_path / "fresh").mkdir()
    fresh = check_fidelity(design, tmp_path / "fresh", epochs=2, seed=3)
    assert fresh[0]["train_loss"] != ours[0]["train_loss"]  # it did start elsewhere


@pytest.mark.parametrize("preset", ["lenet_digits", "lstm_sine"])
def test_health_recording_changes_nothing_in_the_exported_script(preset, tmp_path):
    """The CLI records health (every 5 steps here, so every epoch has records) and the exported
    script runs with --no-health: the same metrics and weights, and only the first wrote
    health.jsonl."""
    design = load_preset(preset).with_training(epochs=2, seed=3)
    design_path = tmp_path / "design.json"
    design_path.write_text(design.to_json())
    cli_out = tmp_path / "cli"
    cli_train(design_path, cli_out, tmp_path / "workspace", 2, 3)
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "model.py").write_text(generate_code(design))
    (folder / "train.py").write_text(
        re.sub(
            r"^HEALTH_EVERY = \d+", "HEALTH_EVERY = 5", generate_train_script(design), flags=re.M
        )
    )
    for flags, out in (([], "on"), (["--no-health"], "off")):
        cmd = [sys.executable, "train.py", "--epochs", "2", "--seed", "3", "--out", out, *flags]
        proc = subprocess.run(
            cmd, cwd=folder, capture_output=True, text=True, timeout=600, env=clean_env()
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    on, off = folder / "on", folder / "off"
    records = [json.loads(line) for line in (on / "health.jsonl").read_text().splitlines()]
    assert len({r["epoch"] for r in records}) == 2 and all(r["nodes"] for r in records)
    assert not (off / "health.jsonl").exists()
    assert (cli_out / "health.jsonl").read_text().strip()
    for a, b in ((rows(on), rows(off)), (rows(cli_out), rows(off))):
        assert_same_metrics(a, b)
    assert_same_weights(on / "weights.pt", off / "weights.pt")
    assert_same_weights(cli_out / "weights.pt", off / "weights.pt")
