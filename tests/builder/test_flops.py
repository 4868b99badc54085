"""Forward FLOPs per node: hand counts for the layers people compare designs by, and torch's own
FlopCounterMode over the whole built model, counted on meta tensors only."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from builder.cli.main import main as cli_main
from builder.codegen.model_source import CLASS_NAMES, model_module
from builder.design import presets
from builder.design.presets import list_presets, load_preset
from builder.design.shapes import analyze
from builder.design.spec import load_design
from builder.introspect.flops import FlopCounts, design_flops, node_flops
from builder.layers.registry import get_kind
from tests.builder.helpers import chain_design


def flops_of(type_name, in_shape, **params):
    return node_flops(type_name, [tuple(in_shape)], get_kind(type_name).resolve(params))


def counted_by_torch(module, *inputs) -> int:
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(*inputs)
    return counter.get_total_flops()


def test_dense_is_two_flops_per_weight():
    assert flops_of("Dense", [20], out_features=7) == 2 * 20 * 7


def test_conv2d_is_two_flops_per_weight_per_output_position():
    # 3 -> 8 channels, 3x3 kernel over 10x10 without padding: 8x8 outputs.
    assert flops_of("Conv2d", [3, 10, 10], out_channels=8, kernel_size=3) == 2 * 3 * 9 * 8 * 64


def test_lstm_counts_four_gates_per_step_direction_and_layer():
    t, f, h = 5, 8, 16
    first = 2 * t * 2 * 4 * h * (f + h)  # two directions
    second = 2 * t * 2 * 4 * h * (2 * h + h)  # reads both directions of the first layer
    got = flops_of("LSTM", [t, f], hidden_size=h, num_layers=2, bidirectional=True)
    assert got == first + second
    with torch.device("meta"):
        lstm = nn.LSTM(f, h, num_layers=2, bidirectional=True, batch_first=True)
        x = torch.empty(1, t, f)
    assert got == counted_by_torch(lstm, x)


def test_gru_counts_three_gates_per_step():
    t, f, h = 6, 4, 10
    assert flops_of("GRU", [t, f], hidden_size=h) == t * 2 * 3 * h * (f + h)


def test_attention_counts_projections_and_both_attention_products():
    t, e = 5, 16
    hand = 4 * (2 * t * e * e) + 2 * (2 * t * t * e)
    assert flops_of("MultiheadAttention", [t, e], num_heads=4) == hand
    with torch.device("meta"):
        attention = nn.MultiheadAttention(e, 4, batch_first=True)
        x = torch.empty(1, t, e)
    assert hand == counted_by_torch(lambda v: attention(v, v, v, need_weights=False), x)
    block = flops_of("TransformerEncoderLayer", [t, e], nhead=4, dim_feedforward=32)
    assert block == hand + 2 * (2 * t * e * 32)


@pytest.mark.parametrize("preset", [p["name"] for p in list_presets()])
def test_each_models_total_equals_flop_counter_mode_on_the_built_model(preset):
    design = load_preset(preset)
    counts = design_flops(design, analyze(design))
    module = model_module(design)
    for model in design.models:
        cls = module.__dict__[CLASS_NAMES[model]]
        with torch.device("meta"):
            net = cls()
            shape = (1, *cls.INPUT_SHAPE)
            x = torch.zeros(shape, dtype=torch.long) if cls.INPUT_TOKENS else torch.empty(shape)
        assert counts.model_total(model) == counted_by_torch(net, x) > 0


def test_counting_allocates_no_weights():
    # 3.6 GB of float32 weights if they were real: counted on meta tensors in a moment.
    design = load_design(
        chain_design(("in", "Input", {"shape": [30000]}), ("d", "Dense", {"out_features": 30000}))
    )
    counts = design_flops(design, analyze(design))
    assert counts.nodes["model"] == {"in": 0, "d": 2 * 30000 * 30000}


def test_a_training_step_is_forward_and_backward_for_the_batch():
    counts = FlopCounts({"model": {"a": 100, "b": 50}})
    assert counts.total == 150
    assert counts.training_step(32) == 150 * 3 * 32


def test_nodes_after_a_problem_have_no_count():
    design = load_design(
        chain_design(
            ("in", "Input", {"shape": [4, 4]}),
            ("d", "Conv2d", {"out_channels": 2}),  # a vector is no image
            ("e", "Dense", {"out_features": 3}),
        )
    )
    assert design_flops(design, analyze(design)).nodes["model"] == {"in": 0}


def test_builder_check_prints_flops_per_node_and_totals(capsys):
    path = str(Path(presets.__file__).with_name("lenet_digits.json"))
    assert cli_main(["check", path]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert "forward FLOPs" in header
    conv1 = next(line for line in out.splitlines() if line.startswith("conv1 "))
    assert conv1.split()[-1] == f"{2 * 1 * 9 * 16 * 64:,}"
    assert "forward FLOPs per sample: 183,552" in out
    assert "one training step (batch 64" in out and "multiply-add is 2 FLOPs" in out
