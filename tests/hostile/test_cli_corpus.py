"""The hostile corpus through the command line, as a separate process under an address-space
limit: each file or design gets a clear message naming the culprit, never a traceback, within
bounded memory and time."""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from builder.design.presets import load_preset
from builder.runs.store import RunStore
from tests.hostile import corpus

ADDRESS_LIMIT = 4 * 2**30  # torch itself maps about 1 GiB; a bomb would need far more
ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd: Path, file_limit: int | None = None, timeout: float = 180):
    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))
        if file_limit is not None:  # a full disk: writes past this size fail with EFBIG
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "builder", *args],
        cwd=cwd,
        env=env,
        preexec_fn=limits,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def train(design: dict, tmp_path: Path, **kwargs):
    path = tmp_path / "design.json"
    path.write_text(json.dumps(design))
    args = ["train", str(path), "--epochs", "1", "--workspace", str(tmp_path / "ws")]
    return cli(*args, "--out", str(tmp_path / "out"), "--quiet", cwd=tmp_path, **kwargs)


def with_file(tmp_path: Path, name: str, data: bytes, kind: str, shape) -> dict:
    path = tmp_path / name
    path.write_bytes(data)
    layers = [
        ("in", "Input", {"shape": shape}),
        ("flat", "Flatten", {}),
        ("out", "Dense", {"out_features": 2}),
    ]
    return corpus.design(layers, {"dataset": {"type": kind, "path": str(path)}})


FILES = {
    "npz_bomb": ("bomb.npz", corpus.npz_bomb, "npz", [64], "unpacks to"),
    "npz_declares_1e12": (
        "declares.npz",
        lambda: corpus.npz_declaring((10**12,)),
        "npz",
        [2],
        "declares",
    ),
    "npz_pickle": ("pickle.npz", corpus.npz_pickle, "npz", [2], "pickle.npz"),
    "npz_scalar_y": ("scalar.npz", corpus.npz_scalar_y, "npz", [2], "one target per sample"),
    "zip_encrypted": (
        "enc.zip",
        lambda: corpus.flagged_zip(flag=1),
        "images",
        [1, 8, 8],
        "enc.zip",
    ),
    "zip_method": (
        "aes.zip",
        lambda: corpus.flagged_zip(method=99),
        "images",
        [1, 8, 8],
        "aes.zip",
    ),
    "zip_corrupt": ("broken.zip", corpus.corrupt_zip, "images", [1, 8, 8], "broken.zip"),
    "zip_huge_images": ("huge.zip", corpus.huge_image_zip, "images", [1, 8, 8], "pixels allowed"),
    "zip_many_pixels": ("pixels.zip", corpus.many_pixels_zip, "images", [1, 8, 8], "pixels in all"),
    "csv_8000_classes": (
        "classes.csv",
        lambda: corpus.csv_classes(8000),
        "csv",
        [1],
        "8,000 distinct",
    ),
}


@pytest.mark.parametrize("case", list(FILES))
@pytest.mark.slow
def test_a_hostile_data_file_is_a_message(case, tmp_path):
    name, make, kind, shape, expected = FILES[case]
    proc = train(with_file(tmp_path, name, make(), kind, shape), tmp_path)
    assert proc.returncode == 1
    error = proc.stderr.strip().splitlines()[-1]
    assert error.startswith("error: ") and expected in error, proc.stderr
    assert not (tmp_path / "out" / "weights.pt").exists()


@pytest.mark.slow
def test_a_nan_regression_target_is_named_by_row(tmp_path):
    design = with_file(tmp_path, "nan.csv", corpus.csv_nan_target(), "csv", [2])
    design["training"]["task"] = "regression"
    design["models"]["model"]["nodes"][-1]["params"]["out_features"] = 1
    proc = train(design, tmp_path)
    assert proc.returncode == 1 and "row 7" in proc.stderr and "'nan'" in proc.stderr


DESIGNS = {
    "lone_surrogate_name": ('{"version": 1, "name": "a\\udc80", "models": {}}', "U+DC80"),
    "lone_surrogate_id": (
        json.dumps(corpus.mlp()).replace('"out"', '"o\\udc80"'),
        "U+DC80",
    ),
    "digits_5000_in_layout": (
        json.dumps(corpus.mlp(layout={"in": [0, 0]})).replace("[0, 0]", "[1" + "0" * 5000 + ", 0]"),
        "thousands of digits",
    ),
    "dimension_10e400": (
        json.dumps(corpus.mlp()).replace("[2]", "[1" + "0" * 400 + "]"),
        "401 digits",
    ),
    "infinite_param": (json.dumps(corpus.mlp()).replace("[2]", "[1e400]"), "not a finite number"),
    "nesting": ('{"name": ' + "[" * 5000 + "]" * 5000 + "}", "nested"),
}


@pytest.mark.parametrize("case", list(DESIGNS))
@pytest.mark.slow
def test_a_hostile_design_file_is_a_message(case, tmp_path):
    text, expected = DESIGNS[case]
    path = tmp_path / "design.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    extra = {"check": [], "train": ["--workspace", str(tmp_path / "ws")], "export": ["-o", "x"]}
    for command, more in extra.items():
        proc = cli(command, str(path), *more, cwd=tmp_path)
        assert proc.returncode == 2, (command, proc.stderr)
        assert expected in proc.stderr, (command, proc.stderr)


@pytest.mark.slow
def test_a_memory_bomb_design_is_refused_at_the_node_before_anything_is_allocated(tmp_path):
    path = tmp_path / "bomb.json"
    path.write_text(json.dumps(corpus.memory_bomb()))
    check = cli("check", str(path), cwd=tmp_path)
    assert check.returncode == 1 and "node 'wide' (Conv2d)" in check.stdout, check.stdout
    assert "MiB" in check.stdout
    trained = train(corpus.memory_bomb(), tmp_path)
    assert trained.returncode == 1 and "'wide'" in trained.stderr
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**10
    assert peak < 2048, f"peak {peak:.0f} MiB"


@pytest.mark.slow
def test_problem_text_is_bounded_however_many_outputs_share_it(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(corpus.many_outputs(1500)))
    check = cli("check", str(path), cwd=tmp_path)
    assert check.returncode == 1
    assert len(check.stdout) < 300_000 and "and 1,496 more" in check.stdout
    path.write_text(json.dumps(corpus.many_outputs(9999)))
    check = cli("check", str(path), cwd=tmp_path)
    assert check.returncode == 2 and "10,000 nodes" in check.stderr and len(check.stderr) < 1000


@pytest.mark.slow
def test_a_corrupt_run_store_is_set_aside_and_training_goes_on(tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "runs.sqlite").write_bytes(b"this is not a database" * 100)
    design = load_preset("mlp_moons").to_dict()
    proc = train(design, tmp_path)
    assert proc.returncode == 0 and "kept as" in proc.stderr
    assert list(workspace.glob("runs.sqlite.corrupt-*"))
    assert RunStore(workspace).list_runs()[0]["status"] == "finished"


@pytest.mark.slow
def test_one_damaged_row_hides_no_other_run(tmp_path):
    design = load_preset("mlp_moons").to_dict()
    assert train(design, tmp_path).returncode == 0
    assert train(design, tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "ws" / "runs.sqlite") as db:
        db.execute("UPDATE runs SET design = '{not json', final = '[' WHERE id = 1")
    runs = RunStore(tmp_path / "ws").list_runs()
    assert [r["id"] for r in runs] == [2, 1]
    assert runs[0]["status"] == "finished" and "damaged" in runs[1]["error"]


@pytest.mark.slow
def test_an_unusable_workspace_is_a_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the workspace should be")
    design = tmp_path / "design.json"
    design.write_text(load_preset("mlp_moons").to_json())
    proc = cli("train", str(design), "--workspace", str(blocker / "ws"), cwd=tmp_path)
    assert proc.returncode == 1 and proc.stderr.startswith("error: the workspace")
    (tmp_path / "ws2").mkdir()
    (tmp_path / "ws2" / "runs.sqlite").mkdir()  # the store's file cannot be opened
    proc = cli("train", str(design), "--workspace", str(tmp_path / "ws2"), cwd=tmp_path)
    assert proc.returncode == 1 and "run store" in proc.stderr


@pytest.mark.slow
def test_a_full_disk_leaves_no_partial_file_and_keeps_the_finished_epochs(tmp_path):
    layers = [
        ("in", "Input", {"shape": [2]}),
        ("wide", "Dense", {"out_features": 512, "activation": "relu"}),
        ("wider", "Dense", {"out_features": 512, "activation": "relu"}),
        ("out", "Dense", {"out_features": 2}),
    ]
    design = corpus.design(layers, {"dataset": "moons", "epochs": 2})
    proc = train(design, tmp_path, file_limit=600_000)  # the weights are about 1 MB
    assert proc.returncode == 1 and "cannot save the weights" in proc.stderr, proc.stderr
    out = tmp_path / "out"
    assert not list(out.glob("*.tmp")) and not (out / "weights.pt").exists()
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1]  # saved after the first epoch is what failed
    assert RunStore(tmp_path / "ws").metrics(1)[0]["epoch"] == 1


def test_a_weights_file_holding_a_list_is_a_message(tmp_path):
    from builder.errors import DesignError
    from builder.introspect.trained import trained_models

    path = tmp_path / "weights.pt"
    torch.save([torch.zeros(2)], path)
    with pytest.raises(DesignError, match="holds a list, not a state_dict"):
        trained_models(load_preset("gan_moons"), path)
    torch.save({"generator": [1, 2], "discriminator": {}}, path)
    with pytest.raises(DesignError, match="not a state_dict"):
        trained_models(load_preset("gan_moons"), path)
