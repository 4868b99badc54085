"""Explanations are correct: completeness, localisation, the deciding word, attention rows."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import builder
import builder.design.presets as presets
from builder.cli.main import main
from builder.data.datasets import Dataset
from builder.errors import DesignError
from builder.introspect.samples import encode_text, misclassified_first
from tests.builder.helpers import chain_design


def preset(name: str) -> str:
    return os.path.join(os.path.dirname(presets.__file__), f"{name}.json")


def _random_sample(design_path: str, seed: int = 0) -> np.ndarray:
    model = builder.build_model(design_path)
    rng = np.random.default_rng(seed)
    if model.INPUT_TOKENS:
        return rng.integers(1, model.INPUT_TOKENS, size=model.INPUT_SHAPE)
    return rng.normal(size=model.INPUT_SHAPE).astype(np.float32)


@pytest.mark.parametrize(
    "name",
    [
        "lenet_digits",
        "residual_cnn_digits",
        "mlp_moons",
        "text_pages_classifier",
        "transformer_text",
    ],  # fmt: skip
)
def test_integrated_gradients_keep_completeness_within_one_percent(name):
    torch.manual_seed(0)
    weights = builder.build_model(preset(name)).state_dict()
    result = builder.explain(
        preset(name), weights, sample=_random_sample(preset(name)), method="integrated_gradients"
    )
    assert abs(result.attribution.sum() - result.delta - result.difference) < 1e-4
    assert result.relative_delta < 0.01, (result.delta, result.difference)


def _patch_images(n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """8x8 images of noise with one bright 2x2 patch: class 0 on the left half, 1 on the right."""
    x = rng.normal(0, 0.1, size=(n, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 2, size=n)
    for i in range(n):
        row = rng.integers(0, 7)
        col = rng.integers(0, 3) + 4 * y[i]
        x[i, 0, row : row + 2, col : col + 2] += 1.0
    return x, y


def _train(design, x, y, steps=150, lr=0.02):
    torch.manual_seed(0)
    model = builder.build_model(design)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xs, ys = torch.as_tensor(x), torch.as_tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xs), ys).backward()
        opt.step()
    return model.state_dict()


@pytest.mark.slow
def test_grad_cam_puts_most_of_its_mass_on_the_patch_half():
    rng = np.random.default_rng(0)
    design = chain_design(
        ("in", "Input", {"shape": [1, 8, 8]}),
        ("conv1", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1, "activation": "relu"}),
        ("conv2", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1, "activation": "relu"}),
        ("pool", "GlobalPool", {"mode": "max"}),
        ("out", "Dense", {"out_features": 2}),
        training={"task": "classification"},
    )  # fmt: skip
    x, y = _patch_images(256, rng)
    weights = _train(design, x, y)
    x_test, y_test = _patch_images(20, rng)
    shares = []
    for sample, label in zip(x_test, y_test, strict=True):
        cam = builder.explain(design, weights, sample=sample, method="grad_cam", target=int(label))
        assert cam.attribution.shape == (8, 8) and cam.node == "conv2"
        half = cam.attribution[:, 4:] if label else cam.attribution[:, :4]
        shares.append(half.sum() / max(cam.attribution.sum(), 1e-12))
    assert np.mean(shares) > 0.7, shares


@pytest.mark.slow
def test_token_attributions_find_the_word_that_decides_the_label():
    rng = np.random.default_rng(0)
    vocab, steps, key = 20, 12, 7
    x = rng.integers(1, vocab, size=(400, steps))
    x[x == key] = 1
    y = rng.integers(0, 2, size=400)
    where = rng.integers(0, steps, size=400)
    x[y == 1, where[y == 1]] = key
    design = chain_design(
        ("tokens", "Input", {"shape": [steps]}),
        ("embed", "Embedding", {"num_embeddings": vocab, "embedding_dim": 8}),
        ("conv", "Conv1d", {"out_channels": 16, "kernel_size": 1, "activation": "relu"}),
        ("pool", "GlobalPool", {"mode": "max"}),
        ("out", "Dense", {"out_features": 2}),
        training={"task": "classification"},
    )
    weights = _train(design, x, y, steps=200)
    hits = 0
    for i in np.flatnonzero(y == 1)[:10]:
        for method in ("integrated_gradients", "saliency"):
            result = builder.explain(design, weights, sample=x[i], method=method, target=1)
            assert result.attribution.shape == (steps,)
            hits += int(np.argmax(result.attribution)) == where[i]
    assert hits >= 18


def test_attention_rows_sum_to_one_and_causal_maps_see_no_future():
    path = preset("transformer_text")
    result = builder.explain(path, sample=_random_sample(path)[:20], method="saliency")
    assert set(result.attention) == {"block1", "block2"}
    for maps in result.attention.values():
        assert maps.shape == (4, 20, 20)
        np.testing.assert_allclose(maps.sum(axis=-1), 1.0, atol=1e-5)
        assert np.all(np.triu(maps, k=1) == 0)


def test_attention_of_a_plain_multihead_attention_node_is_not_causal():
    design = chain_design(
        ("tokens", "Input", {"shape": [6]}),
        ("embed", "Embedding", {"num_embeddings": 10, "embedding_dim": 8}),
        ("attend", "MultiheadAttention", {"num_heads": 2}),
        ("pool", "GlobalPool", {"mode": "mean"}),
        ("out", "Dense", {"out_features": 3}),
        training={"task": "classification"},
    )
    result = builder.explain(design, sample=np.arange(6), method="integrated_gradients")
    maps = result.attention["attend"]
    assert maps.shape == (2, 6, 6)
    np.testing.assert_allclose(maps.sum(axis=-1), 1.0, atol=1e-5)
    assert np.triu(maps, k=1).sum() > 0


def test_methods_that_do_not_apply_say_why():
    with pytest.raises(DesignError, match="generator turns random noise"):
        builder.explain(preset("gan_moons"), sample=np.zeros(2, np.float32))
    with pytest.raises(DesignError, match="no convolution node|has none"):
        builder.explain(preset("mlp_moons"), sample=np.zeros(2, np.float32), method="grad_cam")
    regression = chain_design(
        ("in", "Input", {"shape": [1, 8, 8]}),
        ("conv", "Conv2d", {"out_channels": 2, "kernel_size": 3}),
        ("flat", "Flatten", {}),
        ("out", "Dense", {"out_features": 1}),
        training={"task": "regression"},
    )
    with pytest.raises(DesignError, match="task is regression"):
        builder.explain(regression, sample=np.zeros((1, 8, 8), np.float32), method="grad_cam")
    with pytest.raises(DesignError, match=r"'dense1' is a Dense node"):
        builder.explain(preset("lenet_digits"), sample=np.zeros((1, 8, 8), np.float32),
                        method="grad_cam", node="dense1")  # fmt: skip
    with pytest.raises(DesignError, match=r"shape \[2\]; the Input expects \[1, 8, 8\]"):
        builder.explain(preset("lenet_digits"), sample=np.zeros(2, np.float32))
    with pytest.raises(DesignError, match="'blur' baseline needs an image"):
        builder.explain(preset("mlp_moons"), sample=np.zeros(2, np.float32),
                        method="integrated_gradients", baseline="blur")  # fmt: skip


def test_blurred_and_mean_baselines_keep_completeness():
    path = preset("lenet_digits")
    torch.manual_seed(1)
    weights = builder.build_model(path).state_dict()
    for baseline in ("blur", "mean"):
        result = builder.explain(path, weights, index=5, method="integrated_gradients",
                                 baseline=baseline)  # fmt: skip
        assert result.relative_delta < 0.01, (baseline, result.delta, result.difference)


def test_cli_explain_writes_the_npz(tmp_path, capsys):
    torch.manual_seed(0)
    weights = tmp_path / "weights.pt"
    torch.save(builder.build_model(preset("lenet_digits")).state_dict(), weights)
    for method, shape in (("saliency", (1, 8, 8)), ("grad_cam", (8, 8))):
        out = tmp_path / f"{method}.npz"
        code = main(["explain", preset("lenet_digits"), "--weights", str(weights),
                     "--index", "3", "--method", method, "--out", str(out)])  # fmt: skip
        assert code == 0
        saved = np.load(out)
        assert saved["attribution"].shape == shape
        assert saved["probabilities"].shape == (10,)
        assert int(saved["target"]) == int(np.argmax(saved["probabilities"]))
    code = main(["explain", preset("lenet_digits"), "--weights", str(weights), "--index",
                 "99999", "--out", str(tmp_path / "x.npz")])  # fmt: skip
    assert code == 2 and "index 99999 is outside" in capsys.readouterr().err


def test_misclassified_samples_come_first_and_typed_text_is_read_like_the_data():
    labels = np.array([0, 1, 2, 1, 0, 2])
    order = misclassified_first(labels, np.array([0, 2, 2, 0]))
    assert order.tolist() == [1, 3, 0, 2, 4, 5]
    data = Dataset("t", "classification", np.zeros((1, 5)), None, np.zeros((1, 5)), None,
                   vocab=["<pad>", "a", "b", "\ufffd"])  # fmt: skip
    ids, pieces = encode_text("abz", data, "chars", 5, "classification")
    assert ids.tolist() == [1, 2, 3, 0, 0] and pieces[:3] == ["a", "b", "z"]
    ids, pieces = encode_text("abbab", data, "chars", 3, "language_model")
    assert ids.tolist() == [2, 1, 2] and pieces == ["b", "a", "b"]
