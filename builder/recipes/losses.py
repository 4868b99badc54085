"""Losses by name: what each fits, its source in train.py, and the check that it fits a design.

The source is an expression over `output` (the model's batch of outputs) and `target` (the
batch of targets as the data sets give them: class indices, or values of the target shape).
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.recipes.tasks import TASKS

CLASSIFY = ("classification",)
NUMERIC = ("regression", "forecasting")


@dataclass(frozen=True)
class Loss:
    name: str
    tasks: tuple[str, ...]
    help: str
    source: str
    one_logit_source: str | None = None  # for a single output logit [1], where it differs
    sequence_source: str | None = None  # for scores at every step [T, V] (a language model)

    def code(self, output_shape) -> str:
        """The loss expression for a model whose output has this shape."""
        if self.one_logit_source and list(output_shape) == [1]:
            return self.one_logit_source
        if self.sequence_source and len(output_shape) == 2:
            return self.sequence_source
        return self.source


_LOSSES = (
    Loss(
        "cross_entropy",
        CLASSIFY + ("language_model",),
        "classification or next-token prediction; the model outputs one raw score (logit) per "
        "class or token",
        "F.cross_entropy(output, target)",
        sequence_source="F.cross_entropy(output.flatten(0, 1), target.flatten())",
    ),
    Loss(
        "nll",
        CLASSIFY,
        "classification; the model outputs log-probabilities (end with log-softmax)",
        "F.nll_loss(output, target)",
    ),
    Loss(
        "bce",
        CLASSIFY + ("gan",),
        "binary classification with one logit, or one logit per class (one-hot targets)",
        "F.binary_cross_entropy_with_logits(output, F.one_hot(target, output.shape[1]).to(output.dtype))",
        "F.binary_cross_entropy_with_logits(output[:, 0], target.to(output.dtype))",
    ),
    Loss(
        "kl_div",
        CLASSIFY,
        "classification against one-hot targets; the model outputs one logit per class",
        "F.kl_div(F.log_softmax(output, dim=1), "
        'F.one_hot(target, output.shape[1]).to(output.dtype), reduction="batchmean")',
    ),
    Loss(
        "mse",
        NUMERIC,
        "regression/forecasting: mean squared error",
        "F.mse_loss(output, target.view_as(output))",
    ),
    Loss(
        "l1",
        NUMERIC,
        "regression/forecasting: mean absolute error",
        "F.l1_loss(output, target.view_as(output))",
    ),
    Loss(
        "huber",
        NUMERIC,
        "regression/forecasting: squared near zero, absolute far away (robust to outliers)",
        "F.huber_loss(output, target.view_as(output))",
    ),
)
LOSS_RECIPES = {loss.name: loss for loss in _LOSSES}
LOSSES = tuple(LOSS_RECIPES)
LOSS_HELP = {loss.name: loss.help for loss in _LOSSES}


def losses_for(task: str) -> tuple[str, ...]:
    return tuple(loss.name for loss in _LOSSES if task in loss.tasks)


def _fmt(shape) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _language_model_output(out, vocab_size, target_shape) -> list[str]:
    if vocab_size is None or target_shape is None:
        return []
    want = list(target_shape) + [vocab_size]
    if out == want:
        return []
    return [
        f"the output shape is {_fmt(out)} but a language model on this text outputs {_fmt(want)}: "
        f"a score for each of the vocabulary's {vocab_size} tokens at each of the "
        f"{target_shape[0]} steps; set the last Dense's out_features to {vocab_size}"
    ]


def check_loss(task, loss, output_shape, num_classes=None, target_shape=None) -> list[str]:
    """Why `loss` cannot train a model with `output_shape` on this task and data (empty: it can)."""
    if task not in TASKS:
        return [f"task must be one of {', '.join(TASKS)}, got {task!r}"]
    if loss not in LOSS_RECIPES:
        return [f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}"]
    fits = losses_for(task)
    if loss not in fits:
        if task == "gan":
            return [f"a GAN trains with bce, got loss {loss!r}"]
        other = "numeric targets" if task == "classification" else "classes"
        return [f"loss {loss!r} is for {other}, but the task is {task}: use {', '.join(fits)}"]
    if task == "gan" or output_shape is None:
        return []
    out = list(output_shape)
    if task == "language_model":
        return _language_model_output(out, num_classes, target_shape)
    if task == "classification":
        if num_classes is None:
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
    if target_shape is not None and out != list(target_shape):
        return [
            f"the output shape is {_fmt(out)} but the targets have shape {_fmt(target_shape)}: "
            f"the last layer must output {_fmt(target_shape)}"
        ]
    return []
