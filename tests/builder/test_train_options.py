"""train.py's options: --amp and --compile train as well as a plain run, --tensorboard writes
event files that TensorBoard's own reader reads back, and a missing tensorboard is a message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from builder.codegen.program import training_program
from builder.design.presets import load_preset
from builder.export.files import export_design
from builder.export.tensorboard import tensorboard_command, write_run_tensorboard

EPOCHS = 3


def exported(preset: str, folder: Path, **training) -> Path:
    design = load_preset(preset).to_dict()
    design["training"] = {**design["training"], **training}
    export_design(design, folder)
    return folder


def run_script(folder: Path, *args, check=True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # as a user runs it
    env["OMP_NUM_THREADS"] = "1"
    proc = subprocess.run(
        [sys.executable, "train.py", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def metrics(folder: Path, out: str) -> list[dict]:
    lines = (folder / out / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def moons(tmp_path_factory) -> tuple[Path, list[dict]]:
    folder = exported("mlp_moons", tmp_path_factory.mktemp("moons"))
    run_script(folder, "--epochs", str(EPOCHS), "--out", "plain")
    return folder, metrics(folder, "plain")


def test_amp_trains_to_the_accuracy_of_a_plain_run(moons):
    folder, plain = moons
    run_script(folder, "--epochs", str(EPOCHS), "--out", "amp", "--amp")
    amp = metrics(folder, "amp")
    assert len(amp) == EPOCHS
    assert amp[-1]["val_accuracy"] >= 0.8
    assert abs(amp[-1]["val_accuracy"] - plain[-1]["val_accuracy"]) <= 0.05
    # bfloat16 changes the numbers: the option really ran in lower precision.
    assert amp[0]["train_loss"] != plain[0]["train_loss"]


def test_amp_is_the_designs_default_when_its_settings_say_so(tmp_path):
    folder = exported("mlp_moons", tmp_path, amp=True)
    source = (folder / "train.py").read_text()
    assert "AMP = True" in source and "COMPILE = False" in source
    run_script(folder, "--epochs", "1", "--out", "on")
    run_script(folder, "--epochs", "1", "--out", "off", "--no-amp")
    assert metrics(folder, "on")[0]["train_loss"] != metrics(folder, "off")[0]["train_loss"]


@pytest.mark.slow
def test_compile_trains_to_the_accuracy_of_a_plain_run(moons):
    folder, plain = moons
    run_script(folder, "--epochs", str(EPOCHS), "--out", "compiled", "--compile")
    compiled = metrics(folder, "compiled")
    assert len(compiled) == EPOCHS
    assert abs(compiled[-1]["val_accuracy"] - plain[-1]["val_accuracy"]) <= 0.05
    assert compiled[-1]["train_loss"] == pytest.approx(plain[-1]["train_loss"], rel=1e-3)


@pytest.mark.slow
def test_compile_trains_in_the_apps_own_program_too(moons, tmp_path):
    """The app and the CLI run train.py's source executed in memory: torch.compile must find
    that program's module by name there too."""
    _, plain = moons
    design = load_preset("mlp_moons").to_dict()
    design["training"] = {**design["training"], "compile": True, "epochs": EPOCHS}
    (tmp_path / "design.json").write_text(json.dumps(design))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "builder", "train", str(tmp_path / "design.json"), "--threads",
         "1", "--out", str(tmp_path / "out"), "--workspace", str(tmp_path / "ws")],
        env=env, capture_output=True, text=True, timeout=540,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    final = json.loads(proc.stdout.strip().splitlines()[-1])
    assert final["status"] == "finished", final
    assert abs(final["val_accuracy"] - plain[-1]["val_accuracy"]) <= 0.05


def read_events(folder: Path) -> EventAccumulator:
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0})
    events.Reload()
    return events


def test_tensorboard_holds_every_logged_number_and_layer_histograms(moons):
    folder, _ = moons
    run_script(folder, "--epochs", "2", "--out", "tb_run", "--tensorboard", "tb")
    rows = metrics(folder, "tb_run")
    events = read_events(folder / "tb")
    tags = events.Tags()
    for key in ("train_loss", "val_loss", "val_accuracy", "lr", "samples_per_sec", "seconds"):
        tag = f"epoch/{key}"
        assert tag in tags["scalars"], tags["scalars"]
        scalars = events.Scalars(tag)
        assert [s.step for s in scalars] == [row["step"] for row in rows]
        assert [s.value for s in scalars] == pytest.approx([row[key] for row in rows], rel=1e-6)
    hist = set(tags["histograms"])
    layers = {t.split("/", 1)[1] for t in hist if t.startswith("weights/")}
    assert layers and all(f"gradients/{name}" in hist for name in layers)
    assert any(name.endswith(".weight") for name in layers)
    steps = [h.step for h in events.Histograms(f"weights/{sorted(layers)[0]}")]
    assert steps == [row["step"] for row in rows]


def test_tensorboard_of_a_gan_names_both_models(tmp_path):
    folder = exported("gan_moons", tmp_path)
    run_script(folder, "--epochs", "1", "--out", "o", "--tensorboard", "tb")
    tags = read_events(folder / "tb").Tags()
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "lr"):
        assert f"epoch/{key}" in tags["scalars"]
    assert any(t.startswith("weights/generator/") for t in tags["histograms"])
    assert any(t.startswith("gradients/discriminator/") for t in tags["histograms"])


def test_without_tensorboard_installed_the_flag_is_a_clear_message(moons):
    folder, _ = moons
    # The script run as `python train.py`, in a Python where tensorboard cannot be imported.
    blocked = (
        "import runpy, sys; sys.modules['tensorboard'] = None; sys.argv = sys.argv[1:]; "
        "sys.path.insert(0, '.'); runpy.run_path('train.py', run_name='__main__')"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    args = ["train.py", "--epochs", "1", "--out", "o", "--tensorboard", "tb"]
    proc = subprocess.run(
        [sys.executable, "-c", blocked, *args], cwd=folder, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "--tensorboard needs the tensorboard package" in proc.stderr
    assert "Traceback" not in proc.stderr
    # Without the flag the same Python trains.
    proc = subprocess.run(
        [sys.executable, "-c", blocked, *args[:5]], cwd=folder, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


class EpochRows:
    """The hooks a caller of train() passes; it keeps each epoch's row, as the run store does."""

    step_every = 10**9
    stopped = False

    def __init__(self):
        self.rows = []

    def checkpoint(self):
        return True

    def epoch_weights(self, get):
        pass

    def emit(self, event, /, **fields):
        if event == "epoch":
            self.rows.append(fields)


def test_a_kept_run_is_written_with_the_scalars_train_py_writes(tmp_path):
    design = load_preset("mlp_moons")
    program = training_program(design)
    hooks = EpochRows()
    data = program.load_data(program.DATA, program.SEED)
    result = program.train(hooks, data, epochs=2, tensorboard=str(tmp_path / "live"))
    torch.save(result["weights"], tmp_path / "weights.pt")
    kept = write_run_tensorboard(hooks.rows, tmp_path / "weights.pt", tmp_path / "kept")
    live, written = read_events(tmp_path / "live"), read_events(kept)
    epoch_tags = sorted(t for t in live.Tags()["scalars"] if t.startswith("epoch/"))
    assert sorted(written.Tags()["scalars"]) == epoch_tags
    for tag in epoch_tags:
        assert [(s.step, s.value) for s in written.Scalars(tag)] == [
            (s.step, s.value) for s in live.Scalars(tag)
        ]
    weights = sorted(t for t in live.Tags()["histograms"] if t.startswith("weights/"))
    assert sorted(written.Tags()["histograms"]) == weights
    assert tensorboard_command(kept) == f"tensorboard --logdir {kept}"
    # Written again, it replaces its events instead of doubling them.
    write_run_tensorboard(hooks.rows, tmp_path / "weights.pt", kept)
    assert len(list(kept.glob("events.out.tfevents.*"))) == 1
