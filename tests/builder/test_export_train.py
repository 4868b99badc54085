"""The exported train.py: standalone, same data as the app, runs alone and under torchrun
(test_fidelity.py holds it to the app's own training)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from builder import build_model, generate_code, load_design
from builder.codegen.training_source import generate_train_script
from builder.data import load_for_design
from builder.design.presets import list_presets, load_preset
from tests.builder.data_files import blobs_csv
from tests.builder.helpers import chain_design

PRESETS = [p["name"] for p in list_presets()]


def export(design, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.py").write_text(generate_code(design))
    (folder / "train.py").write_text(generate_train_script(design))
    return folder


def run(folder: Path, *args, torchrun=False, timeout=300):
    """Run the script the way a user would, in a clean environment without this repository."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    if torchrun:
        launcher = shutil.which("torchrun")
        cmd = [launcher, "--standalone", "--nproc_per_node=2", "train.py", *args]
    else:
        cmd = [sys.executable, "train.py", *args]
    proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def import_script(folder: Path):
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(f"train_{folder.name}", folder / "train.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("model", None)
    return module


@pytest.mark.parametrize("preset", PRESETS)
def test_script_is_standalone_and_compiles(preset):
    source = generate_train_script(load_preset(preset))
    compile(source, "train.py", "exec")
    assert "builder" not in source.split('"""', 2)[2].split("def ")[0]  # no import of builder
    assert "import builder" not in source and "from builder" not in source
    for flag in ("--epochs", "--lr", "--batch-size", "--data"):
        assert f'"{flag}"' in source
    assert "DistributedDataParallel" in source and "def train(hooks, data" in source


@pytest.mark.parametrize("preset", [p for p in PRESETS if "gan" not in p])
def test_script_loads_exactly_the_apps_data(preset, tmp_path):
    design = load_preset(preset)
    module = import_script(export(design, tmp_path / preset))
    ours = load_for_design(design)
    theirs = module.load_data(module.DATA, module.SEED)
    for key in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(theirs[key], getattr(ours, key))
    assert theirs["classes"] == ours.class_names


@pytest.mark.slow
def test_csv_design_script_reads_the_same_file(tmp_path):
    data = tmp_path / "blobs.csv"
    data.write_bytes(blobs_csv(80))
    training = {"dataset": {"type": "csv", "path": str(data), "target": "label"}, "seed": 3}
    layers = [("in", "Input", {"shape": [2]}), ("out", "Dense", {"out_features": 2})]
    design = load_design(chain_design(*layers, training=training))
    folder = export(design, tmp_path / "csv")
    module = import_script(folder)
    theirs = module.load_data(module.DATA, module.SEED)
    ours = load_for_design(design)
    np.testing.assert_array_equal(theirs["x_train"], ours.x_train)
    np.testing.assert_array_equal(theirs["y_val"], ours.y_val)
    proc = run(folder, "--epochs", "3", "--lr", "0.05", "--batch-size", "16", "--out", "out")
    rows = [
        json.loads(line) for line in (folder / "out" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [r["epoch"] for r in rows] == [1, 2, 3] and rows[-1]["val_accuracy"] > 0.8
    assert rows[0]["lr"] == 0.05
    assert "1 process(es)" in proc.stdout


@pytest.mark.parametrize("attempt", range(2))
@pytest.mark.slow
def test_torchrun_with_two_processes_trains_and_rank0_saves(tmp_path, attempt):
    design = load_preset("lenet_digits")
    folder = export(design, tmp_path / "lenet")
    proc = run(folder, "--epochs", "2", "--out", "out", torchrun=True)
    assert "terminate called" not in proc.stderr
    assert proc.stdout.count("training on") == 1  # only rank 0 logs
    assert "2 process(es)" in proc.stdout
    rows = [
        json.loads(line) for line in (folder / "out" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert rows[1]["train_loss"] < rows[0]["train_loss"]
    model = build_model(design)
    model.load_state_dict(torch.load(folder / "out" / "weights.pt", weights_only=True))


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.slow
def test_gan_script_under_torchrun(tmp_path, attempt):
    """Repeated: every rank must end cleanly every time (a rank that left while another still
    talked to it was once aborted, SIGABRT, after the last epoch)."""
    design = load_preset("gan_moons")
    folder = export(design, tmp_path / "gan")
    proc = run(folder, "--epochs", "2", "--out", "out", torchrun=True)
    assert "terminate called" not in proc.stderr
    rows = [
        json.loads(line) for line in (folder / "out" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert all(np.isfinite([r["d_loss"], r["g_loss"]]).all() for r in rows)
    weights = torch.load(folder / "out" / "weights.pt", weights_only=True)
    build_model(design, "generator").load_state_dict(weights["generator"])
    build_model(design, "discriminator").load_state_dict(weights["discriminator"])
    samples = np.load(folder / "out" / "samples.npy")
    assert samples.shape == (design.training["noise_samples"], 2)
