"""Optimizers and learning-rate schedules from the design's settings."""

from __future__ import annotations

import torch

from builder.design.settings import OPTIMIZERS, optimizer_problems, schedule_problems

DEFAULT_LR = {"sgd": 0.01, "adam": 0.001, "adamw": 0.001, "rmsprop": 0.001, "adagrad": 0.01}
DEFAULT_BETAS = (0.9, 0.999)


def check_optimizer(cfg, where="optimizer") -> list[str]:
    """Why these optimizer settings cannot be used (empty: they can): the declarations in
    builder.settings, read out as sentences."""
    return [str(p) for p in optimizer_problems(cfg, where)]


def check_schedule(cfg, where="schedule") -> list[str]:
    return [str(p) for p in schedule_problems(cfg, where)]


def make_optimizer(params, cfg: dict | None) -> torch.optim.Optimizer:
    cfg = dict(cfg or {})
    kind = cfg.get("type", "adam")
    lr = float(cfg.get("lr") or DEFAULT_LR.get(kind, 0.001))
    wd = cfg.get("weight_decay")
    wd = float(wd) if wd is not None else (0.01 if kind == "adamw" else 0.0)
    betas = tuple(cfg["betas"]) if cfg.get("betas") else DEFAULT_BETAS
    momentum = float(cfg.get("momentum") or 0.0)
    if kind == "sgd":
        nesterov = bool(cfg.get("nesterov")) and momentum > 0
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=wd)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=wd)
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=betas, weight_decay=wd)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum, weight_decay=wd)
    if kind == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd)
    raise ValueError(f"optimizer type must be one of {', '.join(OPTIMIZERS)}, got {kind!r}")


def make_scheduler(optimizer, cfg: dict | None, epochs: int):
    """A per-epoch scheduler, or None for a constant learning rate."""
    cfg = dict(cfg or {})
    kind = cfg.get("type", "none")
    if kind == "step":
        step = int(cfg.get("step_size") or max(1, epochs // 3))
        return torch.optim.lr_scheduler.StepLR(optimizer, step, gamma=float(cfg.get("gamma", 0.1)))
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    return None
