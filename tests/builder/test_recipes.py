"""Each recipe's emitted source builds the same object as its runtime side, from one declaration."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from builder.design.settings import LOSSES, OPTIMIZERS, SCHEDULES, TASKS, resolved_training
from builder.recipes.losses import LOSS_RECIPES, losses_for
from builder.recipes.optimizers import OPTIMIZER_RECIPES
from builder.recipes.schedules import SCHEDULE_RECIPES
from builder.recipes.tasks import TASK_RECIPES

CONFIGS = [
    {},
    {"lr": 0.05, "weight_decay": 0.001},
    {"lr": 0.02, "momentum": 0.9, "nesterov": True, "betas": [0.5, 0.99]},
]


@pytest.mark.parametrize("name", list(OPTIMIZER_RECIPES))
@pytest.mark.parametrize("cfg", CONFIGS)
def test_optimizer_source_and_runtime_agree(name, cfg):
    recipe = OPTIMIZER_RECIPES[name]
    params = [torch.nn.Parameter(torch.ones(3))]
    built = recipe.build(params, cfg)
    source = recipe.source(cfg, "params", "lr")
    emitted = eval(source, {"torch": torch}, {"params": params, "lr": recipe.learning_rate(cfg)})
    assert type(emitted) is type(built) is recipe.cls
    assert emitted.defaults == built.defaults
    assert built.defaults["lr"] == (cfg.get("lr") or recipe.lr)


@pytest.mark.parametrize("name", list(SCHEDULE_RECIPES))
def test_schedule_source_builds_its_class(name):
    recipe = SCHEDULE_RECIPES[name]
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    made = eval(recipe.source({"step_size": 2, "gamma": 0.5}), {"torch": torch}, {
        "optimizer": optimizer, "epochs": 6
    })  # fmt: skip
    if recipe.cls is None:
        assert made is None
    else:
        assert type(made) is recipe.cls


@pytest.mark.parametrize("name", list(LOSS_RECIPES))
def test_every_loss_source_computes_a_scalar_for_its_targets(name):
    recipe = LOSS_RECIPES[name]
    output = torch.randn(6, 3)
    if "classification" in recipe.tasks:
        target = torch.tensor([0, 1, 2, 0, 1, 2])
    else:
        target = torch.randn(6, 3)
    value = eval(recipe.code([3]), {"F": F}, {"output": output, "target": target})
    assert value.dim() == 0 and torch.isfinite(value)


def test_settings_name_what_the_recipes_declare():
    assert TASKS == tuple(TASK_RECIPES)
    assert LOSSES == tuple(LOSS_RECIPES)
    assert OPTIMIZERS == tuple(OPTIMIZER_RECIPES)
    assert SCHEDULES == tuple(SCHEDULE_RECIPES)
    for task in TASKS:
        assert TASK_RECIPES[task].loss in losses_for(task)


def test_an_unset_learning_rate_is_the_optimizers_own():
    assert resolved_training({"optimizer": {"type": "sgd"}})["optimizer"]["lr"] == 0.01
    assert resolved_training({})["optimizer"]["lr"] == OPTIMIZER_RECIPES["adam"].lr
