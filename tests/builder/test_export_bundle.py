"""The ZIP a user takes home: the same texts as the export, weights, README; train.py runs."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from dataclasses import replace

import pytest
import torch

from builder import DesignError
from builder.design.presets import load_preset
from builder.export.bundle import bundle_files, bundle_zip
from builder.export.files import export_files, notebook_name, slug
from builder.export.onnx import export_onnx
from builder.introspect.trained import trained_models
from builder.runs.thread import ThreadRun
from tests.builder.helpers import run_exported_train


def _trained(tmp_path, preset="mlp_moons", **training):
    design = load_preset(preset).with_training(**training)
    run = ThreadRun(design, out_dir=tmp_path / "run", step_every=50)
    run.join(180)
    return design, tmp_path / "run" / "weights.pt"


def test_the_zip_holds_the_export_files_byte_for_byte():
    design = load_preset("lenet_digits")
    texts = export_files(design)
    assert list(texts)[:3] == ["model.py", "train.py", "design.json"]
    files = bundle_files(design)
    for name, text in texts.items():
        assert files[name] == text.encode("utf-8")


@pytest.mark.slow
def test_zip_holds_every_file_and_a_readme_and_its_train_py_runs(tmp_path):
    design, weights = _trained(tmp_path, epochs=1, batch_size=200)
    files = bundle_files(design, weights_path=weights, run_id=3)
    notebook = notebook_name(design)
    assert set(files) == {
        "README.md",
        "model.py",
        "train.py",
        "design.json",
        notebook,
        "weights.pt",
    }
    readme = files["README.md"].decode()
    assert "torchrun --nproc_per_node=2 train.py" in readme and "run #3" in readme
    data = bundle_zip(files, slug(design.name))
    out = tmp_path / "unpacked"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(out)
    folder = out / slug(design.name)
    assert (folder / "model.py").read_bytes() == files["model.py"]
    state = torch.load(folder / "weights.pt", weights_only=True)
    trained_models(design, state)  # loads into the model built from the same source
    rows = run_exported_train(folder)
    assert rows[0]["epoch"] == 1 and "val_accuracy" in rows[0]


@pytest.mark.slow
def test_the_readmes_command_never_overwrites_the_shipped_weights(tmp_path):
    design, weights = _trained(tmp_path, epochs=1, batch_size=200)
    files = bundle_files(design, weights_path=weights, run_id=3)
    assert "a new folder `runs/<date>-<time>/`" in files["README.md"].decode()
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(io.BytesIO(bundle_zip(files, "model"))) as archive:
        archive.extractall(folder)
    folder = folder / "model"
    shipped = (folder / "weights.pt").read_bytes()
    proc = subprocess.run(
        [sys.executable, "train.py", "--epochs", "1"],  # the README's command: no --out
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (folder / "weights.pt").read_bytes() == shipped
    assert not (folder / "metrics.jsonl").exists()
    (written,) = (folder / "runs").iterdir()
    assert re.fullmatch(r"\d{8}-\d{6}", written.name)
    assert (written / "weights.pt").is_file() and (written / "metrics.jsonl").is_file()


def test_an_uploaded_data_file_travels_in_the_zip(tmp_path):
    uploads = tmp_path / "data"
    uploads.mkdir()
    csv = uploads / "points.csv"
    csv.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 5},{'xy'[i % 2]}\n" for i in range(40)))
    design = load_preset("mlp_moons").with_training(dataset={"type": "csv", "path": str(csv)})
    files = bundle_files(design, data_root=uploads)
    assert files["data/points.csv"] == csv.read_bytes()
    assert "--data data/points.csv" in files["README.md"].decode()
    assert "weights.pt" not in files


def test_a_data_file_outside_the_uploads_never_travels(tmp_path):
    (tmp_path / "data").mkdir()
    secret = tmp_path / "secret.csv"
    secret.write_text("a,label\n1,x\n2,y\n")
    for path in (secret, tmp_path / "data" / ".." / "secret.csv"):
        design = load_preset("mlp_moons").with_training(dataset={"type": "csv", "path": str(path)})
        for files in (bundle_files(design, data_root=tmp_path / "data"), bundle_files(design)):
            assert not any(name.startswith("data/") for name in files)
            assert b"1,x" not in b"".join(files.values())


def test_onnx_of_trained_models_matches_pytorch(tmp_path):
    design, weights = _trained(tmp_path, epochs=1, batch_size=200)
    result = export_onnx(design, weights)
    assert result.verified, result.note
    assert result.file_name == "model.onnx" and result.data and result.max_abs_diff < 1e-4
    lstm = export_onnx(load_preset("lstm_sine"))
    assert lstm.verified, lstm.note
    gan = export_onnx(load_preset("gan_moons"))
    assert gan.verified and gan.file_name == "generator.onnx", gan.note


def test_run_weights_that_do_not_fit_an_edited_design_are_refused(tmp_path):
    design, weights = _trained(tmp_path, epochs=1, batch_size=200)
    graph = design.models["model"]
    first = next(n for n in graph.nodes if n.type == "Dense")
    wider = replace(
        first, params={**first.params, "out_features": first.params["out_features"] + 1}
    )
    edited = design.with_model(
        "model", replace(graph, nodes=[wider if n is first else n for n in graph.nodes])
    )
    with pytest.raises(DesignError, match="do not fit model 'model'"):
        trained_models(edited, weights)
