"""`python -m builder check` and `export`, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from builder.design.presets import load_preset
from tests.builder.helpers import chain_design


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "builder", *args], capture_output=True, text=True, cwd=cwd
    )


def test_check_prints_table_and_total(tmp_path):
    path = tmp_path / "lenet.json"
    path.write_text(load_preset("lenet_digits").to_json())
    result = run("check", str(path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["node", "type", "output", "shape", "params", "forward", "FLOPs"]
    assert any(
        line.split()[:2] == ["conv1", "Conv2d"] and line.split()[-2] == "160" for line in lines
    )
    assert "[16, 8, 8]" in result.stdout
    assert "total parameters: 13,706" in lines


def test_check_lists_problems_by_node_and_exits_1(tmp_path):
    design = chain_design(
        ("in", "Input", {"shape": [1, 8, 8]}),
        ("c", "Conv2d", {}),
        ("d1", "Dense", {"out_features": 10}),
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(design))
    result = run("check", str(path))
    assert result.returncode == 1
    assert result.stdout.strip() == (
        "error: node 'd1' (Dense): expects [F] or [T, F], got [16, 6, 6]: insert Flatten before it"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_check_unreadable_exits_2_with_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"version": 1,\n "models": {,}}')
    result = run("check", str(path))
    assert result.returncode == 2
    assert "line 2, column 13" in result.stderr and "Traceback" not in result.stderr
    missing = run("check", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_export_writes_model_and_design(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(load_preset("gru_waves").to_json())
    result = run("export", str(path), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "model.py").exists()
    assert "DistributedDataParallel" in (tmp_path / "out" / "train.py").read_text()
    assert json.loads((tmp_path / "out" / "design.json").read_text())["name"] == "gru_waves"
