"""The language_model task: a small character model learns, writes lines from its prompt each
epoch, and exports to a train.py that runs alone, under torchrun, and as ONNX."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from builder import GraphError, build_model, generate_code, load_design
from builder.codegen.training_source import generate_train_script
from builder.data import load_for_design
from builder.export.bundle import bundle_files
from builder.export.onnx import export_onnx
from builder.runs.job import RunOptions
from builder.runs.launch import start_run
from builder.runs.samples_file import SAMPLES_FILE, read_samples
from builder.runs.store import RunStore
from builder.training.checks import checked_inputs
from builder.training.control import RunControl
from builder.training.runner import run_loop, train_loop
from tests.builder.helpers import chain_design

WORDS = ("cat", "dog", "bird", "sat", "ran", "on", "under", "the", "mat", "tree", "and")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is fastest on a shared machine
    yield
    torch.set_num_threads(threads)


def story(sentences=600, seed=0) -> str:
    rng = random.Random(seed)
    return " ".join(
        "The " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 6))) + "."
        for _ in range(sentences)
    )


def text_design(path: Path, vocab=40, **training):
    settings = {
        "task": "language_model",
        "dataset": {"type": "text", "path": str(path)},
        "optimizer": {"type": "adam", "lr": 0.01},
        "batch_size": 32,
        "epochs": 3,
        **training,
    }
    return load_design(
        chain_design(
            ("tokens", "Input", {"shape": [32]}),
            ("embed", "Embedding", {"num_embeddings": vocab, "embedding_dim": 32}),
            ("pos", "PositionalEncoding", {"encoding": "learned", "max_len": 32}),
            (
                "block",
                "TransformerEncoderLayer",
                {
                    "nhead": 2,
                    "dim_feedforward": 64,
                    "dropout": 0.0,
                    "norm_first": True,
                    "causal": True,
                },
            ),  # fmt: skip
            ("next", "Dense", {"out_features": vocab}),
            name="tiny-lm",
            training=settings,
        )
    )


@pytest.fixture
def story_file(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text(story())
    return path


def vocab_size(path: Path) -> int:
    return len(set(path.read_text()))


def test_a_small_language_model_learns_and_writes_lines_each_epoch(story_file, tmp_path):
    design = text_design(story_file, vocab_size(story_file))
    events: list[dict] = []
    control = RunControl([events.append], step_every=5)
    result = run_loop(train_loop, design, control, out_dir=tmp_path / "run")
    assert result is not None, [e for e in events if e["type"] == "error"]
    epochs = [e for e in events if e["type"] == "epoch"]
    text = story_file.read_text()
    counts = [text.count(c) for c in set(text)]
    unigram = -sum(n / len(text) * math.log(n / len(text)) for n in counts)
    assert epochs[-1]["val_loss"] < 0.6 * unigram  # far better than letter frequencies alone
    assert epochs[-1]["val_loss"] < epochs[0]["val_loss"]
    assert math.isclose(epochs[-1]["val_perplexity"], math.exp(epochs[-1]["val_loss"]))
    samples = [e for e in events if e["type"] == "samples"]
    assert [s["epoch"] for s in samples] == [0, 1, 2, 3] and {s["kind"] for s in samples} == {
        "text"
    }
    lines = [list(map(str, s["samples"])) for s in samples]
    assert all(
        len(batch) == 3 and all(line.startswith("The ") for line in batch) for batch in lines
    )
    assert all(a != b for a, b in zip(lines, lines[1:], strict=False))  # each epoch writes anew
    words = set(" ".join(lines[-1]).replace(".", " ").split())
    assert len(words & set(WORDS)) >= 4  # it writes the story's own words by the end
    start = next(e for e in events if e["type"] == "start")
    vocab = load_for_design(design).vocab
    assert start["vocab"] == vocab and start["vocab_size"] == len(vocab)
    # The vocabulary travels with the run's weights, and from there into the export.
    saved = tmp_path / "run" / "vocab.json"
    assert json.loads(saved.read_text(encoding="utf-8")) == vocab
    files = bundle_files(design, weights_path=tmp_path / "run" / "weights.pt")
    assert json.loads(files["vocab.json"]) == vocab


def test_the_vocabulary_and_the_output_are_checked_against_the_text(story_file):
    size = vocab_size(story_file)
    with pytest.raises(GraphError) as small:
        checked_inputs(text_design(story_file, vocab=size - 3))
    text = str(small.value)
    assert "node 'embed' (Embedding): num_embeddings is" in text
    assert f"set num_embeddings to {size}" in text
    assert f"set the last Dense's out_features to {size}" in text
    numbers = chain_design(
        ("in", "Input", {"shape": [2]}),
        ("embed", "Embedding", {"num_embeddings": 4, "embedding_dim": 3}),
        ("out", "Dense", {"out_features": 2}),
        training={"dataset": "moons"},
    )
    with pytest.raises(GraphError, match="holds numbers, not text"):
        checked_inputs(numbers)


def clean_env():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    return env


def exported(design, folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "model.py").write_text(generate_code(design))
    (folder / "train.py").write_text(generate_train_script(design))
    return folder


@pytest.mark.slow
def test_the_export_trains_alone_and_under_torchrun(story_file, tmp_path):
    design = text_design(story_file, vocab_size(story_file))
    folder = exported(design, tmp_path / "export")
    cmd = [sys.executable, "train.py", "--epochs", "1", "--out", "out"]
    proc = subprocess.run(cmd, cwd=folder, env=clean_env(), capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "samples after epoch 1:" in proc.stdout
    out = folder / "out"
    assert json.loads((out / "vocab.json").read_text()) == load_for_design(design).vocab
    lines = json.loads((out / "samples.json").read_text())["lines"]
    assert len(lines) == 3 and all(line.startswith("The ") for line in lines)
    row = json.loads((out / "metrics.jsonl").read_text())
    assert row["epoch"] == 1 and row["val_perplexity"] > 1
    build_model(design).load_state_dict(torch.load(out / "weights.pt", weights_only=True))

    launcher = [shutil.which("torchrun"), "--standalone", "--nproc_per_node=2"]
    cmd = [*launcher, "train.py", "--epochs", "2", "--out", "out2"]
    proc = subprocess.run(cmd, cwd=folder, env=clean_env(), capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 process(es)" in proc.stdout and "terminate called" not in proc.stderr
    rows = [
        json.loads(line) for line in (folder / "out2" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [r["epoch"] for r in rows] == [1, 2] and rows[1]["train_loss"] < rows[0]["train_loss"]
    assert (folder / "out2" / "samples.json").is_file()


def test_a_transformer_design_exports_to_onnx_that_matches(story_file):
    result = export_onnx(text_design(story_file, vocab_size(story_file)))
    assert result.verified, result.note
    assert result.data and "onnxruntime matches PyTorch" in result.note


@pytest.mark.slow
def test_the_apps_worker_keeps_a_text_runs_lines_and_vocabulary(tmp_path):
    design = load_design(
        chain_design(
            ("tokens", "Input", {"shape": [16]}),
            ("embed", "Embedding", {"num_embeddings": 103, "embedding_dim": 16}),
            ("next", "Dense", {"out_features": 103}),
            training={
                "task": "language_model",
                "dataset": "python_docs",
                "batch_size": 512,
                "epochs": 1,
            },  # fmt: skip
        )
    )
    handle = start_run(design, tmp_path / "workspace", RunOptions(threads=1))
    assert handle.wait(300) == 0
    run = RunStore(tmp_path / "workspace").get_run(handle.run_id)
    assert run["status"] == "finished", run
    folder = Path(run["out_dir"])
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    assert len(vocab) == 103 and vocab[0] == " "
    samples, kind = read_samples(folder / SAMPLES_FILE)
    assert kind == "text" and sorted(samples) == [0, 1]
    assert all(str(line).startswith("The ") for line in samples[1])
