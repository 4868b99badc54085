"""The training loop for classification, regression and forecasting designs.

It knows nothing of the UI: it reads a frozen design, emits plain events through a
`RunControl` and obeys its pause/resume/stop (see builder/control.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from builder.codegen.model_source import build_model
from builder.data import Dataset, check_dataset, load_for_design
from builder.design.settings import resolved_training
from builder.design.shapes import infer_shapes
from builder.design.spec import load_design
from builder.errors import GraphError, Problem
from builder.recipes.losses import DEFAULT_LOSS, check_loss, make_loss, predict_classes
from builder.recipes.optimizers import (
    check_optimizer,
    check_schedule,
    make_optimizer,
    make_scheduler,
)
from builder.training.control import LoopResult, RunControl, TrainingError, nan_error

EVAL_BATCH = 1024
PREDICTION_POINTS = 100
DEVICE_DATA_LIMIT = 512 * 2**20  # data sets up to this size live on the device


def settings_for(design, epochs: int | None = None, seed: int | None = None) -> dict:
    """The training section with defaults, the task's default loss, and CLI overrides."""
    raw = dict(design.training or {})
    task = raw.get("task", "classification")
    if "loss" not in raw:
        raw["loss"] = DEFAULT_LOSS.get(task, "cross_entropy")
    settings = resolved_training(raw)
    if epochs is not None:
        settings["epochs"] = int(epochs)
    if seed is not None:
        settings["seed"] = int(seed)
    problems = check_optimizer(settings["optimizer"], "training.optimizer")
    problems += check_schedule(settings.get("schedule"), "training.schedule")
    if problems:
        raise GraphError([Problem(p) for p in problems])
    return settings


@dataclass
class Prepared:
    design: object
    settings: dict
    dataset: Dataset
    model: torch.nn.Module
    output_shape: list[int]


def prepare(design, *, epochs=None, seed=None, dataset: Dataset | None = None) -> Prepared:
    """Everything checked before the first step: design, settings, data against design, model.

    Raises GraphError (problems pinned to nodes) or DataError, never mid-run.
    """
    design = load_design(design)
    if design.is_gan:
        raise TrainingError("this is a GAN design; it trains with the GAN loop")
    shapes, settings, dataset = checked_inputs(
        design,
        lambda data, shapes: check_dataset(data, design, shapes),
        epochs=epochs,
        seed=seed,
        dataset=dataset,
    )
    model = build_model(design)
    output_shape = list(getattr(model, "OUTPUT_SHAPE", ()))
    return Prepared(design, settings, dataset, model, output_shape)


def checked_inputs(design, check, *, epochs=None, seed=None, dataset=None):
    """(shapes, settings, dataset) checked against each other, torch seeded; shared by every loop.

    `check(dataset, shapes)` returns the problems of this kind of loop (pinned to nodes).
    """
    shapes = infer_shapes(design)
    settings = settings_for(design, epochs, seed)
    if dataset is None:
        dataset = load_for_design(design)
    problems = check(dataset, shapes)
    if problems:
        raise GraphError(problems)
    torch.manual_seed(settings["seed"])
    return shapes, settings, dataset


def pick_device(device=None) -> torch.device:
    """The device asked for, else CUDA when available, else the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError):
        raise TrainingError(f"unknown device {device!r}; use cpu or cuda") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise TrainingError("CUDA is not available on this machine; use the cpu device")
    return chosen


def _tensors(ds: Dataset, device: torch.device):
    on_device = ds.x_train.nbytes + ds.x_val.nbytes <= DEVICE_DATA_LIMIT
    where = device if on_device else torch.device("cpu")
    xt = torch.from_numpy(ds.x_train).to(where)
    yt = torch.from_numpy(ds.y_train).to(where)
    xv = torch.from_numpy(ds.x_val).to(where)
    yv = torch.from_numpy(ds.y_val).to(where)
    return xt, yt, xv, yv, on_device


def train_loop(
    design, control: RunControl, *, epochs=None, seed=None, device=None, dataset=None
) -> LoopResult:
    """Train a classification/regression/forecasting design; see builder/control.py."""
    prep = prepare(design, epochs=epochs, seed=seed, dataset=dataset)
    s, ds, model = prep.settings, prep.dataset, prep.model
    task, epochs, seed, bs = s["task"], s["epochs"], s["seed"], s["batch_size"]
    classify = task == "classification"
    problems = check_loss(task, s["loss"], prep.output_shape, ds.num_classes, ds.target_shape)
    if problems:
        raise TrainingError("; ".join(problems))
    device = pick_device(device)
    model.to(device)
    loss_fn = make_loss(task, s["loss"], prep.output_shape, ds.num_classes)
    optimizer = make_optimizer(model.parameters(), s["optimizer"])
    scheduler = make_scheduler(optimizer, s.get("schedule"), epochs)
    xt, yt, xv, yv, on_device = _tensors(ds, device)
    n = len(xt)
    steps_per_epoch = math.ceil(n / bs)
    shuffle = torch.Generator().manual_seed(seed)
    sync_each_step = device.type == "cpu"  # .item() is free on the CPU, a sync on a GPU
    every = control.step_every
    control.emit(
        "start",
        task=task,
        dataset=ds.name,
        n_train=n,
        n_val=len(xv),
        epochs=epochs,
        batch_size=bs,
        steps_per_epoch=steps_per_epoch,
        device=str(device),
        params=sum(p.numel() for p in model.parameters()),
        seed=seed,
        class_names=ds.class_names if classify else None,
    )
    start = time.perf_counter()
    step, history, best = 0, None, None
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=shuffle)
        if on_device:
            perm = perm.to(device)
        lr = optimizer.param_groups[0]["lr"]
        total, total_t, seen = 0.0, None, 0
        t0 = time.perf_counter()
        for batch, i in enumerate(range(0, n, bs), start=1):
            if not control.checkpoint():
                break
            idx = perm[i : i + bs]
            xb, yb = xt[idx], yt[idx]
            if not on_device:
                xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            count = len(idx)
            seen += count
            if sync_each_step or step % every == 0:
                value = loss.item()
                if not math.isfinite(value):
                    raise nan_error(value, step, epoch, lr)
            if sync_each_step:
                total += value * count
            else:
                part = loss.detach() * count
                total_t = part if total_t is None else total_t + part
            if step % every == 0:
                control.emit(
                    "step", step=step, epoch=epoch, batch=batch, batches=steps_per_epoch, loss=value
                )
        if control.stopped:
            break
        train_seconds = time.perf_counter() - t0
        if total_t is not None:
            total = total_t.item()
            if not math.isfinite(total):
                raise nan_error(total, step, epoch, lr)
        metrics = evaluate(model, xv, yv, loss_fn, classify, ds.num_classes, device)
        if scheduler is not None:
            scheduler.step()
        history = {
            "epoch": epoch,
            "epochs": epochs,
            "step": step,
            "train_loss": total / max(seen, 1),
            **metrics,
            "lr": lr,
            "samples_per_sec": seen / max(train_seconds, 1e-9),
            "seconds": time.perf_counter() - start,
        }
        if classify and (best is None or metrics["val_accuracy"] > best[1]):
            best = (epoch, metrics["val_accuracy"])
        control.emit("epoch", **history)
        control.epoch_weights(lambda: cpu_state_dict(model))
    final = {"epochs": history["epoch"] if history else 0, "steps": step}
    if history:
        final.update({k: history[k] for k in ("train_loss", "val_loss")})
        if classify:
            final["val_accuracy"] = history["val_accuracy"]
            final["best_val_accuracy"], final["best_epoch"] = best[1], best[0]
    final["seconds"] = time.perf_counter() - start
    return LoopResult(final=final, weights=cpu_state_dict(model))


def cpu_state_dict(model: torch.nn.Module) -> dict:
    """The model's state_dict on the CPU, detached: what is saved and exported."""
    return {k: v.detach().cpu() for k, v in model.state_dict().items()}


@torch.no_grad()
def evaluate(model, xv, yv, loss_fn, classify: bool, num_classes, device) -> dict:
    """Validation loss, plus accuracy and a confusion matrix, or a few true-vs-predicted values."""
    model.eval()
    total, confusion = 0.0, None
    truth, preds = [], []
    for i in range(0, len(xv), EVAL_BATCH):
        xb, yb = xv[i : i + EVAL_BATCH].to(device), yv[i : i + EVAL_BATCH].to(device)
        out = model(xb)
        total += loss_fn(out, yb).item() * len(xb)
        if classify:
            pred = predict_classes(out)
            cells = torch.bincount(yb * num_classes + pred, minlength=num_classes * num_classes)
            confusion = cells if confusion is None else confusion + cells
        elif not truth:  # the first batch holds enough points to plot
            truth.append(yb.reshape(len(yb), -1)[:, 0])
            preds.append(out.reshape(len(out), -1)[:, 0])
    result = {"val_loss": total / max(len(xv), 1)}
    if classify:
        matrix = confusion.view(num_classes, num_classes)
        result["val_accuracy"] = matrix.diag().sum().item() / max(len(xv), 1)
        result["confusion"] = matrix.tolist()
    else:
        result["predictions"] = {
            "true": torch.cat(truth)[:PREDICTION_POINTS].tolist(),
            "pred": torch.cat(preds)[:PREDICTION_POINTS].tolist(),
        }
    return result
