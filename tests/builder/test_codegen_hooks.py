"""The generated model suits hooks and attributions: no module serves two nodes, nothing in place."""

from __future__ import annotations

import random

import pytest
import torch

import builder
from builder.layers.registry import get_kind, kind_names
from tests.builder.helpers import CANDIDATE_INPUTS, graph_design, random_params, single_layer_design


def _twice(type_name: str, params: dict, input_shape: list[int]) -> dict:
    """Input -> layer -> layer again: a module shared between the two would show up."""
    many = get_kind(type_name).inputs == "many"
    nodes = [("in", "Input", {"shape": input_shape}), ("a", type_name, params)]
    edges = [("in", "a"), ("in", "a")] if many else [("in", "a")]
    nodes.append(("b", type_name, params))
    edges += [("a", "b"), ("in", "b")] if many else [("a", "b")]
    return graph_design(nodes, edges)


def _check(design) -> None:
    model = builder.build_model(design)
    seen: dict[int, str] = {}
    for path, module in model.named_modules(remove_duplicate=False):
        assert id(module) not in seen, f"{path} is the same module as {seen[id(module)]}"
        seen[id(module)] = path
        assert not getattr(module, "inplace", False), f"{path} works in place"
    assert "inplace=True" not in builder.generate_code(design)


@pytest.mark.parametrize("type_name", [k for k in kind_names() if k != "Input"])
def test_no_module_serves_two_nodes_and_none_works_in_place(type_name):
    kind = get_kind(type_name)
    rng = random.Random(type_name)
    checked = 0
    for attempt in range(12):
        params = random_params(kind, rng) if attempt else {}
        if any(p.name == "activation" for p in kind.all_params):
            params["activation"] = "relu"  # the activation module is the one most easily shared
        for input_shape in CANDIDATE_INPUTS:
            for design in (_twice(type_name, params, input_shape),
                           single_layer_design(type_name, params, input_shape)):  # fmt: skip
                if not builder.analyze(design).problems:
                    _check(design)
                    checked += 1
    assert checked >= 1, f"{type_name}: no params fitted any input"


def test_backward_hooks_run_on_a_generated_model():
    design = _twice(
        "Conv2d", {"out_channels": 4, "kernel_size": 3, "activation": "relu"}, [1, 8, 8]
    )
    model = builder.build_model(design)
    grads = []
    for module in model.modules():
        if isinstance(module, torch.nn.ReLU):
            module.register_full_backward_hook(lambda m, gi, go: grads.append(go[0].shape))
    model(torch.randn(2, 1, 8, 8, requires_grad=True)).sum().backward()
    assert len(grads) == 2
