"""Losses by name, and the check that a loss fits the task and the model's output shape."""

from __future__ import annotations

import torch
import torch.nn.functional as F

CLASSIFICATION_LOSSES = ("cross_entropy", "nll", "bce", "kl_div")
REGRESSION_LOSSES = ("mse", "l1", "huber")
LOSSES = CLASSIFICATION_LOSSES + REGRESSION_LOSSES
TASKS = ("classification", "regression", "forecasting", "gan")
DEFAULT_LOSS = {
    "classification": "cross_entropy",
    "regression": "mse",
    "forecasting": "mse",
    "gan": "bce",
}
LOSS_HELP = {
    "cross_entropy": "classification; the model outputs one raw score (logit) per class",
    "nll": "classification; the model outputs log-probabilities (end with log-softmax)",
    "bce": "binary classification with one logit, or one logit per class (one-hot targets)",
    "kl_div": "classification against one-hot targets; the model outputs one logit per class",
    "mse": "regression/forecasting: mean squared error",
    "l1": "regression/forecasting: mean absolute error",
    "huber": "regression/forecasting: squared near zero, absolute far away (robust to outliers)",
}


def _fmt(shape) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def check_loss(task, loss, output_shape, num_classes=None, target_shape=None) -> list[str]:
    """Why `loss` cannot train a model with `output_shape` on this task and data (empty: it can)."""
    if task not in TASKS:
        return [f"task must be one of {', '.join(TASKS)}, got {task!r}"]
    if loss not in LOSSES:
        return [f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}"]
    out = list(output_shape) if output_shape is not None else None
    if task == "gan":
        return [] if loss == "bce" else [f"a GAN trains with bce, got loss {loss!r}"]
    if task == "classification":
        if loss not in CLASSIFICATION_LOSSES:
            return [
                f"loss {loss!r} is for numeric targets, but the task is classification: "
                f"use {', '.join(CLASSIFICATION_LOSSES)}"
            ]
        if out is None or num_classes is None:
            return []
        if loss == "bce" and out == [1]:
            if num_classes != 2:
                return [
                    f"one output logit [1] with bce fits 2 classes, but the data set has "
                    f"{num_classes}: set the output size to {num_classes} and use cross_entropy"
                ]
            return []
        if out != [num_classes]:
            hint = " (or [1] with bce)" if num_classes == 2 else ""
            return [
                f"the output shape is {_fmt(out)} but the data set has {num_classes} classes: "
                f"the last layer must output [{num_classes}]{hint}"
            ]
        return []
    if loss not in REGRESSION_LOSSES:
        return [
            f"loss {loss!r} is for classes, but the task is {task}: "
            f"use {', '.join(REGRESSION_LOSSES)}"
        ]
    if out is not None and target_shape is not None and out != list(target_shape):
        return [
            f"the output shape is {_fmt(out)} but the targets have shape {_fmt(target_shape)}: "
            f"the last layer must output {_fmt(target_shape)}"
        ]
    return []


def make_loss(task, loss, output_shape=None, num_classes=None):
    """A function (output, target) -> scalar loss, for targets as the data sets give them."""
    if loss in REGRESSION_LOSSES:
        fn = {"mse": F.mse_loss, "l1": F.l1_loss, "huber": F.huber_loss}[loss]
        return lambda out, y: fn(out, y.view_as(out))
    if loss == "cross_entropy":
        return F.cross_entropy
    if loss == "nll":
        return F.nll_loss
    if loss == "bce":
        if output_shape is not None and list(output_shape) == [1]:
            return lambda out, y: F.binary_cross_entropy_with_logits(out[:, 0], y.to(out.dtype))
        return lambda out, y: F.binary_cross_entropy_with_logits(
            out, F.one_hot(y, out.shape[1]).to(out.dtype)
        )
    if loss == "kl_div":
        return lambda out, y: F.kl_div(
            F.log_softmax(out, dim=1),
            F.one_hot(y, out.shape[1]).to(out.dtype),
            reduction="batchmean",
        )
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")


def predict_classes(out: torch.Tensor) -> torch.Tensor:
    """Class indices from a batch of outputs: argmax, or logit > 0 for a single output."""
    if out.dim() == 2 and out.shape[1] == 1:
        return (out[:, 0] > 0).long()
    return out.argmax(dim=1)
