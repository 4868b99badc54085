"""Feature capture: every node's output for one sample, without changing outputs or training."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from builder import DesignError, build_model, infer_shapes, load_design
from builder.design.presets import list_presets, load_preset
from builder.introspect.capture import capture, class_probabilities
from tests.builder.helpers import chain_design

CASES = [(p["name"], model) for p in list_presets() for model in load_preset(p["name"]).models]


def built(design, model, seed=0):
    torch.manual_seed(seed)
    return build_model(design, model)


def no_hooks(module):
    return all(not m._forward_hooks and not m._forward_pre_hooks for m in module.modules())


@pytest.mark.parametrize(("preset", "model"), CASES)
def test_every_node_captured_with_its_inferred_shape_and_outputs_unchanged(preset, model):
    design = load_preset(preset)
    module = built(design, model)
    module.train()
    draw = torch.Generator().manual_seed(1)
    if module.INPUT_TOKENS:  # a text model reads token ids
        sample = torch.randint(0, module.INPUT_TOKENS, module.INPUT_SHAPE, generator=draw)
    else:
        sample = torch.randn(*module.INPUT_SHAPE, generator=draw)
    batch = sample.unsqueeze(0)
    module.eval()
    with torch.no_grad():
        before = module(batch)
    module.train()
    state = copy.deepcopy(module.state_dict())

    result = capture(design, module, sample, model)

    shapes = infer_shapes(design)[model]
    assert result.shapes == shapes
    assert list(result.outputs) == list(shapes)  # evaluation order, Input first
    assert np.array_equal(result.input, sample.numpy())
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in result.outputs.values())
    # The captured output node is exactly the model's output, and capturing changed nothing.
    assert torch.equal(torch.from_numpy(result.output), before[0])
    assert all(m.training for m in module.modules())  # train mode restored everywhere
    assert no_hooks(module)
    for key, value in module.state_dict().items():
        assert torch.equal(value, state[key]), key  # BatchNorm statistics untouched
    module.eval()
    with torch.no_grad():
        assert torch.equal(module(batch), before)


def test_a_training_step_after_capture_equals_one_without():
    design = load_preset("dcgan_digits")  # BatchNorm: statistics would move in train mode
    plain, looked = built(design, "generator"), built(design, "generator")
    looked.train()
    for _ in range(3):
        capture(design, looked, torch.randn(32), "generator")
    z = torch.randn(16, 32, generator=torch.Generator().manual_seed(2))
    for module in (plain, looked):
        module.train()
        opt = torch.optim.SGD(module.parameters(), lr=0.1)
        module(z).square().mean().backward()
        opt.step()
    for (key, a), b in zip(plain.state_dict().items(), looked.state_dict().values(), strict=True):
        assert torch.equal(a, b), key


def test_eval_mode_is_kept_when_the_model_was_in_eval_mode():
    design = load_preset("lenet_digits")
    module = built(design, "model").eval()
    capture(design, module, np.zeros((1, 8, 8), np.float32))
    assert not any(m.training for m in module.modules())


def test_classification_probabilities_are_the_softmax_of_the_logits():
    design = load_preset("lenet_digits")
    module = built(design, "model")
    sample = np.random.default_rng(0).normal(size=(1, 8, 8)).astype(np.float32)
    result = capture(design, module, sample, class_names=[str(i) for i in range(10)])
    assert result.probabilities.shape == (10,)
    expected = torch.softmax(torch.from_numpy(result.output), 0).numpy()
    np.testing.assert_allclose(result.probabilities, expected, rtol=1e-6)
    assert result.predicted == int(np.argmax(result.output))
    assert result.class_names[result.predicted] == str(result.predicted)


def test_a_model_ending_in_softmax_is_not_softmaxed_twice():
    design = load_design(
        chain_design(
            ("x", "Input", {"shape": [4]}),
            ("out", "Dense", {"out_features": 3, "activation": "softmax"}),
            training={"task": "classification"},
        )
    )
    result = capture(design, built(design, "model"), np.ones(4, np.float32))
    np.testing.assert_array_equal(result.probabilities, result.output)
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-6)


def test_one_logit_gives_two_class_probabilities_and_regression_gives_none():
    p = class_probabilities(torch.tensor([0.0]))
    np.testing.assert_allclose(p, [0.5, 0.5])
    design = load_preset("lstm_sine")  # forecasting
    result = capture(design, built(design, "model"), np.zeros((32, 1), np.float32))
    assert result.probabilities is None and result.predicted is None
    assert result.shapes["lstm"] == [32]


def test_recurrent_sequences_are_captured_as_steps_by_units():
    design = load_design(
        chain_design(
            ("seq", "Input", {"shape": [5, 3]}),
            ("gru", "GRU", {"hidden_size": 4}),
            ("flat", "Flatten", {}),
            ("out", "Dense", {"out_features": 2}),
            training={"task": "classification"},
        )
    )
    result = capture(design, built(design, "model"), np.ones((1, 5, 3), np.float32))
    assert result.outputs["gru"].shape == (5, 4)
    assert result.outputs["flat"].shape == (20,)


def test_wrong_sample_shape_names_the_input_and_both_shapes():
    design = load_preset("lenet_digits")
    with pytest.raises(ValueError, match=r"'input' \(Input\).*\[1, 8, 8\].*\[64\]"):
        capture(design, built(design, "model"), np.zeros(64, np.float32))


def test_a_module_of_another_design_is_refused():
    with pytest.raises(DesignError, match="NODE_MODULES"):
        capture(load_preset("lenet_digits"), built(load_preset("mlp_moons"), "model"), [0, 0])
    with pytest.raises(DesignError, match="no model 'critic'"):
        capture(
            load_preset("gan_moons"),
            built(load_preset("gan_moons"), "generator"),
            [0] * 8,
            "critic",
        )


def test_log_probabilities_become_probabilities():
    design = load_design(
        chain_design(
            ("x", "Input", {"shape": [4]}),
            ("out", "Dense", {"out_features": 3, "activation": "log_softmax"}),
            training={"task": "classification", "loss": "nll"},
        )
    )
    result = capture(design, built(design, "model"), np.ones(4, np.float32))
    np.testing.assert_allclose(result.probabilities, np.exp(result.output), rtol=1e-5)
