"""The exported notebook: a valid nbformat 4 file with cell ids that explains the design from its
declarations, and, run top to bottom in a fresh kernel with only the exported files beside it,
gives the metrics train.py gives for the same seed (classification, GAN, language model)."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from builder.design.presets import load_preset
from builder.design.spec import load_design
from builder.export.bundle import bundle_files, bundle_zip
from builder.export.files import export_design, notebook_name
from builder.export.notebook import OUT, notebook_json
from builder.layers.registry import get_kind
from tests.builder.helpers import chain_design

TIMING = {"samples_per_sec", "tokens_per_sec", "seconds"}  # differ between any two runs


def cells(design) -> list:
    return nbformat.reads(notebook_json(design), as_version=4).cells


def test_the_notebook_is_valid_with_unique_cell_ids():
    notebook = nbformat.reads(notebook_json(load_preset("lenet_digits")), as_version=4)
    nbformat.validate(notebook)
    ids = [cell.id for cell in notebook.cells]
    assert all(ids) and len(set(ids)) == len(ids)
    assert notebook.metadata.kernelspec.name == "python3"


def test_it_explains_every_layer_from_its_declaration():
    design = load_preset("lenet_digits")
    text = "\n".join(c.source for c in cells(design) if c.cell_type == "markdown")
    for node in design.models["model"].nodes:
        kind = get_kind(node.type)
        assert f"### `{node.id}`: {node.type}" in text
        assert kind.help in text
        for name in node.params:
            assert kind.param(name).help in text or name == "activation"
    assert "18.4 KFLOPs" in text  # conv1's forward FLOPs
    assert "multiply-add is 2 FLOPs" in text


def test_a_gan_notebook_explains_both_models_and_shows_samples():
    sources = [c.source for c in cells(load_preset("gan_moons"))]
    joined = "\n".join(sources)
    assert "## The generator, layer by layer" in joined
    assert "## The discriminator, layer by layer" in joined
    assert "from model import Discriminator, Generator" in joined
    assert any("hooks.samples" in s for s in sources)


def test_user_text_cannot_become_markup_or_code():
    design = load_design(
        chain_design(
            ("in`<b>", "Input", {"shape": [2]}),
            ("out", "Dense", {"out_features": 2}),
            name="# <script>alert(1)</script>",
            training={"dataset": "moons"},
        )
    )
    notebook = nbformat.reads(notebook_json(design), as_version=4)
    first = notebook.cells[0].source
    assert first.startswith("# \\#") and "<script>" not in first
    layers = notebook.cells[1].source
    assert "### `in'<b>`: Input" in layers  # inline code shows it literally
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert "script>" not in cell.source and "in`" not in cell.source


def test_export_and_zip_carry_the_notebook(tmp_path):
    design = load_preset("mlp_moons")
    name = notebook_name(design)
    assert name == "mlp_moons.ipynb"
    written = {p.name for p in export_design(design, tmp_path)}
    assert name in written
    files = bundle_files(design)
    assert files[name] == (tmp_path / name).read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(bundle_zip(files, "mlp_moons")))
    assert f"mlp_moons/{name}" in archive.namelist()
    assert name in files["README.md"].decode()


# ---- Executing the notebook (slow: a kernel, and a training run each) ----


def plain_env() -> dict:
    """As a user runs it: without this repository on the path, one thread (same numbers)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    return env


def metrics(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [{k: v for k, v in row.items() if k not in TIMING} for row in rows]


def execute_notebook(folder: Path, name: str, monkeypatch) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    for key, value in plain_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    notebook = nbformat.read(folder / name, as_version=4)
    client = NotebookClient(
        notebook, timeout=540, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    return notebook


def same_metrics_as_train_py(design, folder: Path, monkeypatch) -> nbformat.NotebookNode:
    export_design(design, folder)
    # Only the exported files (and the design's own data file) are beside the notebook.
    proc = subprocess.run(
        [sys.executable, "train.py", "--out", "script_out"],
        cwd=folder,
        env=plain_env(),
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert proc.returncode == 0, proc.stderr
    notebook = execute_notebook(folder, notebook_name(design), monkeypatch)
    ours, theirs = (
        metrics(folder / OUT / "metrics.jsonl"),
        metrics(folder / "script_out" / "metrics.jsonl"),
    )
    assert ours == theirs and len(ours) == design.training["epochs"]
    errors = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors
    return notebook


def image_outputs(notebook) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


@pytest.mark.slow
def test_classification_notebook_gives_train_pys_metrics(tmp_path, monkeypatch):
    design = load_preset("mlp_moons").to_dict()
    design["training"]["epochs"] = 3
    notebook = same_metrics_as_train_py(load_design(design), tmp_path, monkeypatch)
    assert image_outputs(notebook) >= 1  # the metrics plot


@pytest.mark.slow
def test_gan_notebook_gives_train_pys_metrics_and_shows_samples(tmp_path, monkeypatch):
    design = load_preset("gan_moons").to_dict()
    design["training"]["epochs"] = 2
    notebook = same_metrics_as_train_py(load_design(design), tmp_path, monkeypatch)
    assert image_outputs(notebook) >= 2  # the metrics and the generated points


@pytest.mark.slow
def test_language_model_notebook_gives_train_pys_metrics_and_its_lines(tmp_path, monkeypatch):
    rng = random.Random(0)
    words = ("cat", "dog", "sat", "ran", "on", "the", "mat", "and")
    story = " ".join(
        "The " + " ".join(rng.choice(words) for _ in range(rng.randint(3, 6))) + "."
        for _ in range(300)
    )
    (tmp_path / "story.txt").write_text(story)
    vocab = len(set(story))
    design = load_design(
        chain_design(
            ("tokens", "Input", {"shape": [16]}),
            ("embed", "Embedding", {"num_embeddings": vocab, "embedding_dim": 16}),
            ("lstm", "LSTM", {"hidden_size": 32}),
            ("next", "Dense", {"out_features": vocab}),
            name="tiny-lm",
            training={
                "task": "language_model",
                "dataset": {"type": "text", "path": "story.txt"},
                "optimizer": {"type": "adam", "lr": 0.01},
                "batch_size": 64,
                "epochs": 2,
            },
        )
    )
    notebook = same_metrics_as_train_py(design, tmp_path, monkeypatch)
    printed = "".join(
        o.get("text", "") for o in notebook.cells[-1].outputs if o.output_type == "stream"
    )
    lines = json.loads((tmp_path / "script_out" / "samples.json").read_text())["lines"]
    assert [repr(line) for line in lines] == printed.strip().splitlines()


def test_the_data_cell_reads_a_data_file_from_the_zips_data_folder(tmp_path):
    # A design trained on an uploaded file: its path is the uploader's; the ZIP carries data/FILE.
    story = "The cat sat on the mat. The dog ran under the tree. " * 40
    design = load_design(
        chain_design(
            ("tokens", "Input", {"shape": [8]}),
            ("embed", "Embedding", {"num_embeddings": len(set(story)), "embedding_dim": 4}),
            ("next", "Dense", {"out_features": len(set(story))}),
            training={
                "task": "language_model",
                "dataset": {"type": "text", "path": "/elsewhere/uploads/story.txt"},
            },
        )
    )
    export_design(design, tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "story.txt").write_text(story)
    data_cell = next(c.source for c in cells(design) if "script.load_data" in c.source)
    proc = subprocess.run(
        [sys.executable, "-c", data_cell + "\nprint('read', source)"],
        cwd=tmp_path,
        env=plain_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "read data/story.txt" in proc.stdout and "x_train: (" in proc.stdout
