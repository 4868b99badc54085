"""The sequence and attention kinds against torch itself: shapes, parameter counts, outputs,
and a causal model that never looks ahead."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

import builder
from tests.builder.helpers import chain_design


def one_layer(input_shape, type_name, params, vocab=None):
    layers = [("in", "Input", {"shape": input_shape})]
    if vocab:
        layers.append(("embed", "Embedding", {"num_embeddings": vocab, "embedding_dim": 8}))
    layers.append(("layer", type_name, params))
    return chain_design(*layers)


def built(design):
    analysis = builder.analyze(design)
    assert not analysis.problems, analysis.problems
    torch.manual_seed(0)
    return builder.build_model(design).eval(), analysis


@pytest.mark.parametrize(
    ("type_name", "params", "reference"),
    [
        ("Embedding", {"num_embeddings": 50, "embedding_dim": 12}, nn.Embedding(50, 12)),
        ("MultiheadAttention", {"num_heads": 4}, nn.MultiheadAttention(16, 4)),
        (
            "MultiheadAttention",
            {"num_heads": 2, "bias": False},
            nn.MultiheadAttention(16, 2, bias=False),
        ),
        (
            "TransformerEncoderLayer",
            {"nhead": 4, "dim_feedforward": 40},
            nn.TransformerEncoderLayer(16, 4, dim_feedforward=40),
        ),
        ("Conv1d", {"out_channels": 7, "kernel_size": 5}, nn.Conv1d(16, 7, 5)),
        ("Conv1d", {"out_channels": 3, "bias": False}, nn.Conv1d(16, 3, 3, bias=False)),
        ("PositionalEncoding", {"encoding": "learned", "max_len": 30}, None),
        ("PositionalEncoding", {}, None),
        ("MaxPool1d", {"kernel_size": 3}, None),
        ("AvgPool1d", {"kernel_size": 2, "stride": 1}, None),
        ("GlobalPool", {"mode": "max"}, None),
    ],
)
def test_parameter_counts_match_torch(type_name, params, reference):
    shape = [20] if type_name == "Embedding" else [20, 16]
    model, analysis = built(one_layer(shape, type_name, params))
    counted = sum(p.numel() for p in model.parameters())
    assert analysis.total_params == counted
    if reference is not None:
        assert counted == sum(p.numel() for p in reference.parameters())
    elif type_name == "PositionalEncoding":
        assert counted == (30 * 16 if params.get("encoding") == "learned" else 0)


def test_conv_and_pools_over_time_equal_torch_on_channels_first():
    torch.manual_seed(1)
    x = torch.randn(3, 20, 16)  # [B, T, F]
    for type_name, params, shape, ref in [
        ("Conv1d", {"out_channels": 5, "kernel_size": 3, "stride": 2, "padding": 1}, [10, 5], None),
        ("MaxPool1d", {"kernel_size": 3, "stride": 2}, [9, 16], nn.MaxPool1d(3, 2)),
        ("AvgPool1d", {"kernel_size": 4}, [5, 16], nn.AvgPool1d(4)),
    ]:
        model, analysis = built(one_layer([20, 16], type_name, params))
        assert analysis.shapes["model"]["layer"] == shape
        got = model(x)
        if ref is None:  # the same weights in torch's own layer, over [B, F, T]
            layer = model.layer
            ref = nn.Conv1d(16, 5, 3, stride=2, padding=1)
            ref.load_state_dict(layer.state_dict())
        torch.testing.assert_close(got, ref(x.transpose(1, 2)).transpose(1, 2))
        assert list(got.shape[1:]) == shape


def test_global_pool_over_time_and_space():
    seq, img = torch.randn(2, 9, 4), torch.randn(2, 3, 5, 6)
    for mode, reduce in (("mean", torch.mean), ("max", torch.amax)):
        model, analysis = built(one_layer([9, 4], "GlobalPool", {"mode": mode}))
        assert analysis.shapes["model"]["layer"] == [4]
        torch.testing.assert_close(model(seq), reduce(seq, dim=1))
        model, analysis = built(one_layer([3, 5, 6], "GlobalPool", {"mode": mode}))
        assert analysis.shapes["model"]["layer"] == [3]
        torch.testing.assert_close(model(img), reduce(img, dim=(2, 3)))


def test_transformer_block_equals_torch_layer_with_the_same_weights():
    params = {"nhead": 2, "dim_feedforward": 24, "dropout": 0.0, "activation": "gelu"}
    for norm_first in (False, True):
        for causal in (False, True):
            p = {**params, "norm_first": norm_first, "causal": causal}
            model, _ = built(one_layer([7, 8], "TransformerEncoderLayer", p))
            ref = nn.TransformerEncoderLayer(
                8, 2, 24, 0.0, "gelu", batch_first=True, norm_first=norm_first
            ).eval()
            ref.load_state_dict(model.layer.layer.state_dict())
            x = torch.randn(3, 7, 8)
            mask = nn.Transformer.generate_square_subsequent_mask(7) if causal else None
            torch.testing.assert_close(model(x), ref(x, src_mask=mask, is_causal=causal))


def test_self_attention_equals_torch_multihead_attention():
    model, _ = built(one_layer([6, 8], "MultiheadAttention", {"num_heads": 2, "causal": True}))
    ref = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    ref.load_state_dict(model.layer.attention.state_dict())
    x = torch.randn(2, 6, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(6)
    torch.testing.assert_close(model(x), ref(x, x, x, attn_mask=mask)[0])


def test_sinusoidal_encoding_is_the_transformer_papers():
    model, _ = built(one_layer([5, 6], "PositionalEncoding", {"max_len": 10}))
    table = model.layer.table
    pos, i = 3, 2  # dimension 2i uses sin(pos / 10000^(2i/d)), 2i+1 the cosine
    angle = torch.tensor(pos / 10000 ** (2 * i / 6))
    torch.testing.assert_close(table[pos, 2 * i], torch.sin(angle))
    torch.testing.assert_close(table[pos, 2 * i + 1], torch.cos(angle))
    x = torch.zeros(1, 5, 6)
    torch.testing.assert_close(model(x)[0], table[:5])
    assert "layer.table" not in model.state_dict()  # fixed: rebuilt, never saved


def causal_text_model(causal: bool):
    return chain_design(
        ("in", "Input", {"shape": [12]}),
        ("embed", "Embedding", {"num_embeddings": 20, "embedding_dim": 16}),
        ("pos", "PositionalEncoding", {"encoding": "learned", "max_len": 12}),
        ("att", "MultiheadAttention", {"num_heads": 4, "causal": causal}),
        ("block", "TransformerEncoderLayer", {"nhead": 2, "dim_feedforward": 32, "causal": causal}),
        ("conv", "Conv1d", {"out_channels": 16, "kernel_size": 1}),
        ("out", "Dense", {"out_features": 20}),
    )


def test_a_causal_model_at_step_t_ignores_later_tokens():
    model, _ = built(causal_text_model(causal=True))
    tokens = torch.randint(0, 20, (4, 12), generator=torch.Generator().manual_seed(0))
    changed = tokens.clone()
    changed[:, 7:] = (changed[:, 7:] + 5) % 20  # every token after step 6 differs
    with torch.no_grad():
        before, after = model(tokens), model(changed)
    torch.testing.assert_close(before[:, :7], after[:, :7])
    assert not torch.allclose(before[:, 7:], after[:, 7:])
    model, _ = built(causal_text_model(causal=False))
    with torch.no_grad():  # without the mask, early steps do see the change
        assert not torch.allclose(model(tokens)[:, :7], model(changed)[:, :7])


def test_heads_that_do_not_divide_the_width_are_explained():
    for type_name, field in (
        ("MultiheadAttention", "num_heads"),
        ("TransformerEncoderLayer", "nhead"),
    ):
        problems = builder.analyze(one_layer([10, 6], type_name, {field: 4})).problems
        assert len(problems) == 1 and problems[0].node_id == "layer"
        text = str(problems[0])
        assert f"E=6 does not divide by {field}=4" in text and f"use {field} 1, 2, 3, 6" in text
    help_text = next(
        p["help"]
        for k in builder.layer_kinds()
        if k["type"] == "MultiheadAttention"
        for p in k["params"]
        if p["name"] == "num_heads"
    )
    assert "E must divide by num_heads" in help_text


def test_wrong_ranks_name_the_fix():
    cases = [
        ([10, 4], "Embedding", {}, "expects tokens [T], got [10, 4]"),
        ([16], "MultiheadAttention", {}, "put an Embedding"),
        ([3, 8, 8], "Conv1d", {}, "expects a sequence [T, F], got [3, 8, 8]"),
        ([12], "GlobalPool", {}, "nothing to pool"),
        ([20, 8], "PositionalEncoding", {"max_len": 16}, "raise max_len to 20"),
        ([4, 8], "Conv1d", {"kernel_size": 7}, "longer than the sequence's 4"),
    ]
    for shape, type_name, params, words in cases:
        problems = builder.analyze(one_layer(shape, type_name, params)).problems
        assert problems and words in str(problems[0]), (type_name, problems)


@pytest.mark.slow
def test_generated_model_py_runs_alone_on_tokens(tmp_path):
    (tmp_path / "model.py").write_text(builder.generate_code(causal_text_model(True)))
    proc = subprocess.run(
        [sys.executable, "model.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "output shape: (2, 12, 20)" in proc.stdout
