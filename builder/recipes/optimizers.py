"""Optimizers by name: the torch class, its defaults and the arguments it takes, side by side.

`source` writes the constructor call that train.py runs; `build` makes the same object here
from the same arguments (a test holds the two to each other).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

DEFAULT_BETAS = (0.9, 0.999)


@dataclass(frozen=True)
class Optimizer:
    name: str
    cls: type[torch.optim.Optimizer]
    lr: float  # the learning rate when the design names none
    takes: tuple[str, ...]  # which of momentum, nesterov, betas it takes
    weight_decay: float = 0.0

    def arguments(self, cfg: dict | None) -> dict:
        """Keyword arguments besides the learning rate, from the design's optimizer settings."""
        cfg = cfg or {}
        wd = cfg.get("weight_decay")
        args: dict = {}
        momentum = float(cfg.get("momentum") or 0.0)
        if "momentum" in self.takes:
            args["momentum"] = momentum
        if "nesterov" in self.takes:
            args["nesterov"] = bool(cfg.get("nesterov")) and momentum > 0
        if "betas" in self.takes:
            args["betas"] = tuple(float(b) for b in (cfg.get("betas") or DEFAULT_BETAS))
        args["weight_decay"] = float(wd) if wd is not None else self.weight_decay
        return args

    def learning_rate(self, cfg: dict | None) -> float:
        return float((cfg or {}).get("lr") or self.lr)

    def source(self, cfg: dict | None, params: str = "params", lr: str = "lr") -> str:
        """The constructor as one expression over `params`, with the learning rate `lr`."""
        args = "".join(f", {k}={v!r}" for k, v in self.arguments(cfg).items())
        return f"torch.optim.{self.cls.__name__}({params}, lr={lr}{args})"

    def build(self, params, cfg: dict | None) -> torch.optim.Optimizer:
        return self.cls(params, lr=self.learning_rate(cfg), **self.arguments(cfg))


_OPTIMIZERS = (
    Optimizer("sgd", torch.optim.SGD, 0.01, ("momentum", "nesterov")),
    Optimizer("adam", torch.optim.Adam, 0.001, ("betas",)),
    Optimizer("adamw", torch.optim.AdamW, 0.001, ("betas",), weight_decay=0.01),
    Optimizer("rmsprop", torch.optim.RMSprop, 0.001, ("momentum",)),
    Optimizer("adagrad", torch.optim.Adagrad, 0.01, ()),
)
OPTIMIZER_RECIPES = {opt.name: opt for opt in _OPTIMIZERS}
OPTIMIZERS = tuple(OPTIMIZER_RECIPES)
DEFAULT_OPTIMIZER = "adam"
DEFAULT_LR = {opt.name: opt.lr for opt in _OPTIMIZERS}


def optimizers_taking(setting: str) -> tuple[Optimizer, ...]:
    """The optimizers that take `setting` (momentum, nesterov or betas)."""
    return tuple(opt for opt in _OPTIMIZERS if setting in opt.takes)


def takes(kind: str | None, setting: str) -> bool:
    """Whether optimizer `kind` takes `setting` (an unknown kind, or one that is not a name,
    takes nothing: a design file may hold anything there)."""
    if kind is not None and not isinstance(kind, str):
        return False
    recipe = OPTIMIZER_RECIPES.get(kind or DEFAULT_OPTIMIZER)
    return recipe is not None and setting in recipe.takes


def optimizer_recipe(cfg: dict | None) -> Optimizer:
    kind = (cfg or {}).get("type") or DEFAULT_OPTIMIZER
    if kind not in OPTIMIZER_RECIPES:
        raise ValueError(f"optimizer type must be one of {', '.join(OPTIMIZERS)}, got {kind!r}")
    return OPTIMIZER_RECIPES[kind]


def model_optimizer(settings: dict, model: str) -> dict:
    """One model's optimizer settings: the design's optimizer, with its per-model override on top
    (a GAN's generator and discriminator may each have their own)."""
    override = (settings.get("optimizers") or {}).get(model) or {}
    return {**(settings.get("optimizer") or {}), **override}
