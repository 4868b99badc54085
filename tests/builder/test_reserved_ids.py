"""A node may be called anything, even a name every nn.Module instance already holds."""

from __future__ import annotations

import torch
import torch.nn as nn

from builder import load_design
from builder.codegen.model_source import build_model
from builder.training.control import RunControl
from builder.training.runner import run_loop, train_loop
from tests.builder.helpers import chain_design

# what an nn.Module instance has that its class does not: `training`, `_parameters`, ...
INSTANCE_ONLY = sorted(set(vars(nn.Module())) - set(dir(nn.Module)))


def test_instance_attribute_names_are_ordinary_node_ids_that_train():
    assert "training" in INSTANCE_ONLY and "_modules" in INSTANCE_ONLY
    ids = [*INSTANCE_ONLY, "forward", "state_dict"]
    layers = [("in", "Input", {"shape": [3]})]
    layers += [(i, "Dense", {"out_features": 3}) for i in ids]
    design = load_design(chain_design(*layers))
    model = build_model(design)
    assert model.training is True and isinstance(model._modules, dict)
    names = {name for name, _ in model.named_children()}
    assert len(names) == len(ids) and not names & set(INSTANCE_ONLY)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(16, 3), torch.randn(16, 3)
    before = nn.functional.mse_loss(model(x), y).item()
    for _ in range(20):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    assert loss.item() < before
    model.eval()
    assert model.training is False and all(not m.training for m in model.children())


def test_a_node_called_training_trains_through_the_real_training_program(tmp_path):
    design = load_design(
        chain_design(
            ("in", "Input", {"shape": [2]}),
            ("training", "Dense", {"out_features": 16, "activation": "relu"}),
            ("_parameters", "Dense", {"out_features": 2}),
            training={"task": "classification", "dataset": "moons", "epochs": 2},
        )
    )
    events = []
    run_loop(train_loop, design, RunControl([events.append]), out_dir=tmp_path)
    done = events[-1]
    assert done["type"] == "done" and done["status"] == "finished", done
    assert [e["type"] for e in events].count("epoch") == 2
