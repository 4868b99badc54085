"""Learning-rate schedules by name: the torch scheduler and the source train.py runs, per epoch."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Schedule:
    name: str
    cls: type | None  # the torch scheduler; None keeps the learning rate constant
    arguments: str  # after the optimizer, with {step_size} and {gamma} filled in

    def source(self, cfg: dict | None, optimizer: str = "optimizer") -> str:
        """The scheduler as one expression over `optimizer` and `epochs`, or None."""
        if self.cls is None:
            return "None"
        cfg = cfg or {}
        filled = self.arguments.format(
            step_size=int(cfg.get("step_size") or 10), gamma=float(cfg.get("gamma") or 0.1)
        )
        return f"torch.optim.lr_scheduler.{self.cls.__name__}({optimizer}, {filled})"


_SCHEDULES = (
    Schedule("none", None, ""),
    Schedule("step", torch.optim.lr_scheduler.StepLR, "step_size={step_size}, gamma={gamma!r}"),
    Schedule("cosine", torch.optim.lr_scheduler.CosineAnnealingLR, "T_max=max(1, epochs)"),
)
SCHEDULE_RECIPES = {s.name: s for s in _SCHEDULES}
SCHEDULES = tuple(SCHEDULE_RECIPES)


def schedule_source(cfg: dict | None, optimizer: str = "optimizer") -> str:
    kind = (cfg or {}).get("type") or "none"
    if kind not in SCHEDULE_RECIPES:
        raise ValueError(f"schedule type must be one of {', '.join(SCHEDULES)}, got {kind!r}")
    return SCHEDULE_RECIPES[kind].source(cfg, optimizer)
