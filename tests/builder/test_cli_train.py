"""`python -m builder train`: progress on stderr, metrics.jsonl, weights.pt, a final JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from builder import build_model, load_design
from builder.cli.main import main
from builder.design.presets import load_preset
from builder.runs.store import RunStore
from tests.builder.data_files import linear_csv
from tests.builder.helpers import chain_design

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path, design, name="design.json"):
    path = tmp_path / name
    path.write_text(design.to_json())
    return path


@pytest.mark.slow
def test_train_command_end_to_end(tmp_path):
    design = load_preset("lenet_digits")
    path = write(tmp_path, design)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "builder", "train", str(path), "--epochs", "2", "--seed", "1"]
    cmd += ["--out", str(out), "--workspace", str(tmp_path / "ws")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    final = json.loads(proc.stdout.strip().splitlines()[-1])
    assert final["epochs"] == 2 and final["status"] == "finished"
    assert {"train_loss", "val_loss", "val_accuracy", "seconds"} <= set(final)
    assert "epoch 2/2" in proc.stderr and "Traceback" not in proc.stderr
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert {"epoch", "train_loss", "val_loss", "val_accuracy"} <= set(rows[0])
    assert rows[-1]["val_accuracy"] == final["val_accuracy"]
    model = build_model(design)
    model.load_state_dict(torch.load(out / "weights.pt", weights_only=True))
    run = RunStore(tmp_path / "ws").list_runs()[0]
    assert run["status"] == "finished" and run["epochs_done"] == 2


def run_cli(capsys, *args):
    code = main(["train", *map(str, args)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out.strip().splitlines(), captured.err


def test_unreadable_design_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, out, err = run_cli(capsys, bad, "--workspace", tmp_path)
    assert code == 2 and err.startswith("error:")
    assert json.loads(out[-1])["status"] == "error"
    code, _, err = run_cli(capsys, tmp_path / "missing.json", "--workspace", tmp_path)
    assert code == 2 and "error:" in err


def test_data_that_does_not_fit_exit_1_with_both_shapes(tmp_path, capsys):
    design = load_preset("mlp_moons").with_training(dataset="digits")
    code, out, err = run_cli(capsys, write(tmp_path, design), "--workspace", tmp_path, "--quiet")
    assert code == 1
    assert "samples of shape [1, 8, 8], but the Input expects [2]" in err
    final = json.loads(out[-1])
    assert final["status"] == "error" and "expects [2]" in final["error"]
    assert RunStore(tmp_path).list_runs()[0]["status"] == "error"


def test_diverging_run_exit_1_suggests_lower_lr(tmp_path, capsys):
    data = tmp_path / "linear.csv"
    data.write_bytes(linear_csv(100))
    training = {
        "task": "regression",
        "dataset": {"type": "csv", "path": str(data)},
        "optimizer": {"type": "sgd", "lr": 10.0},
    }
    layers = [("in", "Input", {"shape": [2]}), ("out", "Dense", {"out_features": 1})]
    design = load_design(chain_design(*layers, training=training))
    code, _, err = run_cli(capsys, write(tmp_path, design), "--workspace", tmp_path, "--quiet")
    assert code == 1 and "learning rate" in err and "at step" in err


def test_bad_flags_are_argparse_errors_not_tracebacks(tmp_path, capsys):
    path = write(tmp_path, load_preset("mlp_moons"))
    try:
        main(["train", str(path), "--epochs", "zero"])
    except SystemExit as exc:
        assert exc.code == 2
    err = capsys.readouterr().err
    assert "expected a whole number, got 'zero'" in err and "Traceback" not in err
