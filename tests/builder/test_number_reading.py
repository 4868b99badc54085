"""Numbers as people and design files write them: one reading for the inspector and the file."""

from __future__ import annotations

import json
import math

import pytest

from builder import load_design
from builder.errors import DesignError
from builder.params import Param

WHOLE = Param("out_channels", "int", 16, "filters", min=1, max=4096)
REAL = Param("p", "float", 0.5, "drop rate", min=0, max=1)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1e3", 1000), (" 32 ", 32), ("1000", 1000), (1000.0, 1000), (7, 7), ("2E1", 20)],
)
def test_a_whole_number_param_reads_exponents_and_whole_floats(raw, value):
    read, reason = WHOLE.number_from(raw)
    assert reason is None and read == value and type(read) is int


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("2.5", "expected a whole number, got 2.5"),
        (2.5, "expected a whole number, got 2.5"),
        ("1e400", "expected a finite number"),
        ("nan", "expected a finite number"),
        ("__import__('os')", "expected a whole number, got \"__import__('os')\" (written like"),
        ("9" * 5000, "expected a finite number"),  # too many digits: read as a float, inf
    ],
)
def test_a_fraction_or_text_is_refused_with_a_reason(raw, why):
    read, reason = WHOLE.number_from(raw)
    assert read is None and why in reason


def test_a_float_param_reads_text_and_whole_numbers_as_floats():
    assert REAL.number_from("5e-1") == (0.5, None)
    assert REAL.number_from(1) == (1.0, None)
    assert REAL.number_from("inf")[0] is None
    assert not math.isnan(REAL.number_from("0.25")[0])


def _conv(out_channels) -> dict:
    return {
        "models": {
            "model": {
                "nodes": [
                    {"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
                    {"id": "c", "type": "Conv2d", "params": {"out_channels": out_channels}},
                ],
                "edges": [["x", "c"]],
            }
        }
    }


def test_a_design_file_reads_1e3_as_1000_and_refuses_a_fraction_naming_the_node():
    design = load_design(
        json.loads(json.dumps(_conv(0)).replace('"out_channels": 0', '"out_channels": 1e3'))
    )
    assert design.models["model"].node("c").params["out_channels"] == 1000
    with pytest.raises(
        DesignError, match=r"node 'c' \(Conv2d\): out_channels expected a whole number"
    ):
        load_design(_conv(2.5))
    with pytest.raises(DesignError, match="out_channels expected a whole number"):
        load_design(_conv("12"))  # a file's numbers are JSON numbers, not text


def test_a_design_files_training_reads_whole_numbers_written_as_floats():
    data = {
        **_conv(8),
        "training": {
            "epochs": 1e1,
            "batch_size": 64.0,
            "schedule": {"type": "step", "step_size": 2e0},
        },
    }
    training = load_design(data).training
    assert training["epochs"] == 10 and type(training["epochs"]) is int
    assert training["batch_size"] == 64 and training["schedule"]["step_size"] == 2
    with pytest.raises(DesignError, match="training.epochs"):
        load_design({**_conv(8), "training": {"epochs": 2.5}})


def test_the_cli_reads_its_whole_numbers_as_the_app_does(tmp_path, capsys):
    from builder.cli.main import main

    path = tmp_path / "d.json"
    path.write_text(json.dumps({**_conv(8), "name": "n"}))
    for bad, why in (("2.5", "expected a whole number, got 2.5"), ("0", "must be 1 or more")):
        with pytest.raises(SystemExit):
            main(["train", str(path), "--epochs", bad])
        assert why in capsys.readouterr().err
