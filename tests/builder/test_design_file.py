"""The design file contract: round trip, upgrade, and clear refusals."""

from __future__ import annotations

import json

import pytest

import builder
from builder import DesignError, GraphError
from builder.design.presets import list_presets, load_preset
from tests.builder.helpers import chain_design

LENET = chain_design(
    ("in", "Input", {"shape": [1, 8, 8]}),
    ("c1", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1, "activation": "relu"}),
    ("p1", "MaxPool2d", {"kernel_size": 2}),
    ("f", "Flatten", {}),
    ("out", "Dense", {"out_features": 10}),
    training={
        "task": "classification",
        "dataset": "digits",
        "loss": "cross_entropy",
        "optimizer": {"type": "adam", "lr": 0.001},
        "batch_size": 64,
        "epochs": 10,
        "seed": 0,
    },
)


def test_round_trip_from_dict_text_and_path(tmp_path):
    design = {**LENET, "layout": {"in": [0, 0], "c1": [200, 0], "viewport": {"zoom": 1.5}}}
    assert builder.load_design(design).to_dict() == design
    assert builder.load_design(json.dumps(design)).to_dict() == design
    path = tmp_path / "d.json"
    path.write_text(builder.load_design(design).to_json())
    assert builder.load_design(path).to_dict() == design
    assert builder.load_design(str(path)).to_dict() == design


def test_every_preset_round_trips_and_is_valid():
    names = [p["name"] for p in list_presets()]
    assert {
        "lenet_digits",
        "mlp_moons",
        "lstm_sine",
        "gru_waves",
        "residual_cnn_digits",
        "mlp_gan_digits",
        "dcgan_digits",
        "gan_moons",
    } <= set(names)
    for name in names:
        design = load_preset(name)
        assert builder.load_design(design.to_dict()).to_dict() == design.to_dict()
        assert builder.analyze(design).problems == []


def test_version_zero_is_upgraded():
    old = {
        "name": "old",
        "nodes": LENET["models"]["model"]["nodes"],
        "edges": LENET["models"]["model"]["edges"],
    }
    design = builder.load_design(old)
    assert design.to_dict()["version"] == builder.CURRENT_VERSION
    assert design.models["model"].to_dict() == LENET["models"]["model"]
    assert builder.upgrade(old)["models"]["model"]["nodes"] == old["nodes"]


@pytest.mark.parametrize(
    "change, words",
    [
        ({"version": 7}, "newer than"),
        ({"version": "one"}, "whole number"),
        ({"colour": "red"}, "unknown field 'colour'"),
        ({"models": {"net": {"nodes": [], "edges": []}}}, '"models" must hold'),
        ({"training": {"optimiser": "adam"}}, "unknown training field 'optimiser'"),
        ({"training": {"optimizer": {"type": "adam", "lr": -1}}}, "training.optimizer.lr"),
    ],
)
def test_bad_top_level_is_refused_clearly(change, words):
    with pytest.raises(DesignError) as err:
        builder.load_design({**LENET, **change})
    assert words in str(err.value)


def test_unknown_type_and_param_name_the_node():
    design = json.loads(json.dumps(LENET))
    design["models"]["model"]["nodes"][1]["type"] = "Conv3d"
    design["models"]["model"]["nodes"][4]["params"]["units"] = 10
    with pytest.raises(GraphError) as err:
        builder.load_design(design)
    texts = [str(p) for p in err.value.problems]
    assert any("'c1'" in t and "unknown layer type 'Conv3d'" in t for t in texts)
    assert any("'out'" in t and "unknown param 'units'" in t and "out_features" in t for t in texts)


def test_json_syntax_error_has_line_and_column():
    with pytest.raises(DesignError) as err:
        builder.load_design('{\n  "version": 1,\n  "name": }')
    assert (err.value.line, err.value.column) == (3, 11)
    assert "line 3, column 11" in str(err.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(DesignError, match="no such file"):
        builder.load_design(tmp_path / "missing.json")
    binary = tmp_path / "weights.json"
    binary.write_bytes(b"\xff\xfe\x00\x00garbage")
    with pytest.raises(DesignError, match="not a text file"):
        builder.load_design(binary)
    with pytest.raises(DesignError, match="JSON object"):
        builder.load_design("[1, 2]")
