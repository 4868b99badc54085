"""One test over the whole registry: shapes, parameter counts, JSON round-trip and emitted code."""

from __future__ import annotations

import json
import random

import pytest
import torch

import builder
from builder.layers.registry import get_kind, kind_names
from tests.builder.helpers import CANDIDATE_INPUTS, random_params, single_layer_design


@pytest.mark.parametrize("type_name", kind_names())
def test_every_kind_shape_count_roundtrip_and_code(type_name):
    rng = random.Random(type_name)
    checked = 0
    for attempt in range(12):
        kind = get_kind(type_name)
        params = random_params(kind, rng) if attempt else {}
        for input_shape in CANDIDATE_INPUTS:
            design = single_layer_design(type_name, params, input_shape)
            assert builder.load_design(design).to_dict() == design
            assert builder.load_design(json.dumps(design)).to_dict() == design
            analysis = builder.analyze(design)
            if analysis.problems:
                continue  # these params don't fit this input; the error paths have their own tests
            model = builder.build_model(design).eval()
            if kind.tokens:
                x = torch.randint(0, kind.resolve(params)["num_embeddings"], (3, *input_shape))
            else:
                x = torch.randn(3, *input_shape)
            with torch.no_grad():
                y = model(x)
            node = "layer" if type_name != "Input" else "in"
            assert list(y.shape[1:]) == analysis.shapes["model"][node], (params, input_shape)
            assert sum(p.numel() for p in model.parameters()) == analysis.total_params
            checked += 1
    assert checked >= 3, f"{type_name}: too few random params fitted any input"


def test_layer_kinds_lists_every_kind_with_schemas():
    kinds = builder.layer_kinds()
    names = [k["type"] for k in kinds]
    expected = {
        "Input",
        "Dense",
        "Conv2d",
        "ConvTranspose2d",
        "MaxPool2d",
        "AvgPool2d",
        "Flatten",
        "Reshape",
        "Dropout",
        "BatchNorm",
        "LayerNorm",
        "Activation",
        "LSTM",
        "GRU",
        "RNN",
        "Upsample",
        "Add",
        "Concat",
        "Embedding",
        "PositionalEncoding",
        "MultiheadAttention",
        "TransformerEncoderLayer",
        "Conv1d",
        "MaxPool1d",
        "AvgPool1d",
        "GlobalPool",
    }
    assert set(names) == expected
    dense = next(k for k in kinds if k["type"] == "Dense")
    assert dense["group"] == "Core" and dense["help"]
    by_name = {p["name"]: p for p in dense["params"]}
    assert by_name["out_features"]["min"] == 1 and by_name["out_features"]["default"] == 64
    assert "relu" in by_name["activation"]["choices"]
    json.dumps(kinds)  # the canvas receives it as JSON


def test_validate_param_gives_reasons():
    assert builder.validate_param("Dense", "out_features", 10) is None
    assert "at least 1" in builder.validate_param("Dense", "out_features", 0)
    assert "whole number" in builder.validate_param("Conv2d", "kernel_size", 2.5)
    assert "less than 1" in builder.validate_param("Dropout", "p", 1.0)
    assert "no param" in builder.validate_param("Dense", "units", 3)
    assert "unknown layer type" in builder.validate_param("Dense2", "x", 3)
