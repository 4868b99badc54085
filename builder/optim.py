"""Optimizers and learning-rate schedules from the design's settings."""

from __future__ import annotations

import math

import torch

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
SCHEDULES = ("none", "step", "cosine")
DEFAULT_LR = {"sgd": 0.01, "adam": 0.001, "adamw": 0.001, "rmsprop": 0.001, "adagrad": 0.01}


def _number(cfg, key, where, problems, low=0.0, low_open=False, high=None):
    if key not in cfg or cfg[key] is None:
        return
    v = cfg[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        problems.append(f"{where}.{key} must be a number, got {v!r}")
    elif v < low or (low_open and v == low) or (high is not None and v >= high):
        rng = f"more than {low:g}" if low_open else f"at least {low:g}"
        if high is not None:
            rng += f" and below {high:g}"
        problems.append(f"{where}.{key} must be {rng}, got {v!r}")


def check_optimizer(cfg, where="optimizer") -> list[str]:
    """Why these optimizer settings cannot be used (empty: they can)."""
    if not isinstance(cfg, dict):
        return [f'{where} must be an object like {{"type": "adam", "lr": 0.001}}, got {cfg!r}']
    problems: list[str] = []
    kind = cfg.get("type", "adam")
    if kind not in OPTIMIZERS:
        return [f"{where}.type must be one of {', '.join(OPTIMIZERS)}, got {kind!r}"]
    _number(cfg, "lr", where, problems, low_open=True)
    _number(cfg, "weight_decay", where, problems)
    _number(cfg, "momentum", where, problems, high=1.0)
    if "nesterov" in cfg and not isinstance(cfg["nesterov"], bool):
        problems.append(f"{where}.nesterov must be true or false, got {cfg['nesterov']!r}")
    if cfg.get("nesterov") and kind == "sgd" and not cfg.get("momentum"):
        problems.append(f"{where}: nesterov needs a momentum above 0")
    betas = cfg.get("betas")
    if betas is not None:
        ok = isinstance(betas, list | tuple) and len(betas) == 2
        ok = ok and all(isinstance(b, int | float) and not isinstance(b, bool) for b in betas)
        if not ok or not all(0 <= b < 1 for b in betas):
            problems.append(f"{where}.betas must be two numbers in [0, 1), got {betas!r}")
    unknown = set(cfg) - {"type", "lr", "momentum", "nesterov", "weight_decay", "betas"}
    if unknown:
        problems.append(f"{where}: unknown setting {', '.join(sorted(unknown))}")
    return problems


def check_schedule(cfg, where="schedule") -> list[str]:
    if cfg is None:
        return []
    if not isinstance(cfg, dict):
        return [f'{where} must be an object like {{"type": "cosine"}}, got {cfg!r}']
    problems: list[str] = []
    kind = cfg.get("type", "none")
    if kind not in SCHEDULES:
        return [f"{where}.type must be one of {', '.join(SCHEDULES)}, got {kind!r}"]
    size = cfg.get("step_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        problems.append(f"{where}.step_size must be a whole number of epochs >= 1, got {size!r}")
    _number(cfg, "gamma", where, problems, low_open=True)
    unknown = set(cfg) - {"type", "step_size", "gamma"}
    if unknown:
        problems.append(f"{where}: unknown setting {', '.join(sorted(unknown))}")
    return problems


def make_optimizer(params, cfg: dict | None) -> torch.optim.Optimizer:
    cfg = dict(cfg or {})
    kind = cfg.get("type", "adam")
    lr = float(cfg.get("lr") or DEFAULT_LR.get(kind, 0.001))
    wd = cfg.get("weight_decay")
    wd = float(wd) if wd is not None else (0.01 if kind == "adamw" else 0.0)
    betas = tuple(cfg["betas"]) if cfg.get("betas") else (0.9, 0.999)
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
