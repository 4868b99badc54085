"""Learning-rate schedules by name: the torch scheduler, the settings it takes (with their
defaults and bounds) and the source train.py runs, per epoch, side by side."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from builder.params import Param

STEP_SIZE = Param("step_size", "int", 10, "Step: epochs between decays", min=1, max=100000)
GAMMA = Param("gamma", "float", 0.1, "Step: decay factor", min=0, max=1, min_exclusive=True)


@dataclass(frozen=True)
class Schedule:
    name: str
    cls: type | None  # the torch scheduler; None keeps the learning rate constant
    arguments: str  # after the optimizer, with each of `takes` filled in by name
    takes: tuple[Param, ...] = ()  # the settings it reads from the design

    def values(self, cfg: dict | None) -> dict:
        """Its settings from the design's schedule section, each left unset taking its default."""
        cfg = cfg or {}
        cast = {"int": int, "float": float}
        return {p.name: cast[p.type](cfg.get(p.name) or p.default) for p in self.takes}

    def source(self, cfg: dict | None, optimizer: str = "optimizer") -> str:
        """The scheduler as one expression over `optimizer` and `epochs`, or None."""
        if self.cls is None:
            return "None"
        filled = self.arguments.format(**self.values(cfg))
        return f"torch.optim.lr_scheduler.{self.cls.__name__}({optimizer}, {filled})"


_SCHEDULES = (
    Schedule("none", None, ""),
    Schedule(
        "step",
        torch.optim.lr_scheduler.StepLR,
        "step_size={step_size}, gamma={gamma!r}",
        (STEP_SIZE, GAMMA),
    ),
    Schedule("cosine", torch.optim.lr_scheduler.CosineAnnealingLR, "T_max=max(1, epochs)"),
)
SCHEDULE_RECIPES = {s.name: s for s in _SCHEDULES}
SCHEDULES = tuple(SCHEDULE_RECIPES)
DEFAULT_SCHEDULE = "none"


def schedule_settings() -> tuple[Param, ...]:
    """Every setting some schedule takes, each once, in declaration order."""
    found: dict[str, Param] = {}
    for schedule in _SCHEDULES:
        for param in schedule.takes:
            found.setdefault(param.name, param)
    return tuple(found.values())


def schedule_source(cfg: dict | None, optimizer: str = "optimizer") -> str:
    kind = (cfg or {}).get("type") or DEFAULT_SCHEDULE
    if kind not in SCHEDULE_RECIPES:
        raise ValueError(f"schedule type must be one of {', '.join(SCHEDULES)}, got {kind!r}")
    return SCHEDULE_RECIPES[kind].source(cfg, optimizer)
