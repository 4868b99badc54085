"""The `training` section of a design: known fields, their defaults, and their checks."""

from __future__ import annotations

from typing import Any

from builder.data.catalog import BUILTIN, FILE_TYPES
from builder.data.text import DEFAULT_MAX_VOCAB, TOKENIZERS
from builder.errors import Problem
from builder.params import Param
from builder.recipes.losses import LOSSES, losses_for
from builder.recipes.optimizers import (
    DEFAULT_LR,
    DEFAULT_OPTIMIZER,
    OPTIMIZERS,
    optimizers_taking,
    takes,
)
from builder.recipes.schedules import DEFAULT_SCHEDULE, SCHEDULES, schedule_settings
from builder.recipes.tasks import DEFAULT_LOSS, DEFAULT_TASK, TASKS, task_of

BUILTIN_DATASETS = tuple(BUILTIN)

TRAINING_PARAMS = (
    Param("task", "choice", DEFAULT_TASK, "What the model learns", choices=TASKS),
    Param("loss", "choice", "cross_entropy", "What training minimizes", choices=LOSSES),
    Param("batch_size", "int", 64, "Samples per step", min=1, max=65536),
    Param("epochs", "int", 10, "Passes over the training data", min=1, max=100000),
    Param("seed", "int", 0, "Random seed: same seed, same run", min=0, max=2**31 - 1),
    Param(
        "clip_grad_norm",
        "float",
        None,
        "Gradients rescaled to at most this norm each step (none: never)",
        min=0,
        max=1e6,
        min_exclusive=True,
        nullable=True,
    ),
    Param("label_smoothing", "float", 0.0, "GAN: real labels become 1 - this", min=0, max=0.5),
    Param(
        "noise_samples",
        "int",
        64,
        "GAN: size of the fixed noise batch shown each epoch",
        min=1,
        max=1024,
    ),
    Param(
        "amp",
        "bool",
        False,
        "Mixed precision: bfloat16 on the CPU, float16 with a gradient scaler on a GPU",
    ),
    Param("compile", "bool", False, "torch.compile the model: a slower start, often faster steps"),
)


def _takers(setting: str) -> str:
    """'SGD/RMSprop': the optimizers that take `setting`, by their torch names."""
    return "/".join(opt.cls.__name__ for opt in optimizers_taking(setting))


OPTIMIZER_PARAMS = (
    Param("type", "choice", DEFAULT_OPTIMIZER, "Optimizer", choices=OPTIMIZERS),
    Param(
        "lr",
        "float",
        None,
        "Learning rate (none: the optimizer's own default)",
        min=0,
        max=10,
        min_exclusive=True,
        nullable=True,
    ),
    Param("momentum", "float", 0.0, _takers("momentum") + " momentum", min=0, max=1,
          max_exclusive=True),
    Param("nesterov", "bool", False, _takers("nesterov") + ": Nesterov momentum"),
    Param("weight_decay", "float", 0.0, "L2 penalty", min=0, max=1),
    Param("betas", "shape", None, _takers("betas") + " betas [b1, b2]", nullable=True),
)  # fmt: skip
# The schedule's type, and every setting some schedule declares it takes.
SCHEDULE_PARAMS = (
    Param("type", "choice", DEFAULT_SCHEDULE, "Learning-rate schedule", choices=SCHEDULES),
    *schedule_settings(),
)
TEXT_PARAMS = (
    Param("tokens", "choice", "chars", "Text: tokens are characters or words", choices=TOKENIZERS),
    Param(
        "max_vocab",
        "int",
        DEFAULT_MAX_VOCAB,
        "Text: the most frequent tokens kept; the rest read as one unknown token",
        min=2,
        max=1_000_000,
    ),
)
KNOWN = {p.name for p in TRAINING_PARAMS} | {
    "dataset", "optimizer", "schedule", "optimizers", "text",
}  # fmt: skip


def training_defaults() -> dict[str, Any]:
    values = {p.name: p.default for p in TRAINING_PARAMS}
    values["dataset"] = "digits"
    values["optimizer"] = {"type": DEFAULT_OPTIMIZER, "lr": DEFAULT_LR[DEFAULT_OPTIMIZER]}
    values["schedule"] = {"type": DEFAULT_SCHEDULE}
    return values


def resolved_training(training: dict) -> dict[str, Any]:
    """The training section with defaults filled in (for the trainer, never written back)."""
    values = training_defaults()
    values["loss"] = DEFAULT_LOSS.get(task_of(training), "cross_entropy")
    values.update(training)
    optimizer = {p.name: p.default for p in OPTIMIZER_PARAMS} | training.get("optimizer", {})
    if optimizer.get("lr") is None:
        optimizer["lr"] = DEFAULT_LR.get(optimizer["type"], DEFAULT_LR[DEFAULT_OPTIMIZER])
    values["optimizer"] = optimizer
    values["schedule"] = {p.name: p.default for p in SCHEDULE_PARAMS} | training.get("schedule", {})
    return values


def read_training_numbers(training: Any) -> Any:
    """The training section with whole-number settings written as floats (1e3, 64.0) read as
    the whole numbers they are, as the Train form and the CLI read them; the rest unchanged."""
    if not isinstance(training, dict):
        return training
    read = dict(training)
    for param in TRAINING_PARAMS:
        if param.type == "int" and isinstance(read.get(param.name), float):
            value, reason = param.number_from(read[param.name])
            if reason is None:
                read[param.name] = value
    schedule = read.get("schedule")
    if isinstance(schedule, dict):
        schedule = dict(schedule)
        for param in SCHEDULE_PARAMS:
            if param.type == "int" and isinstance(schedule.get(param.name), float):
                value, reason = param.number_from(schedule[param.name])
                if reason is None:
                    schedule[param.name] = value
        read["schedule"] = schedule
    return read


def validate_training(training: Any) -> list[Problem]:
    """Every problem of the training section, each naming its field."""
    if not isinstance(training, dict):
        return [Problem('"training" must be an object')]
    found: list[Problem] = []
    for key in training:
        if key not in KNOWN:
            found.append(
                Problem(f"unknown training field {key!r}", fix="known: " + ", ".join(sorted(KNOWN)))
            )
    _check_fields("training", training, TRAINING_PARAMS, found, allow_unknown=True)
    _check_dataset(training.get("dataset", "digits"), found)
    found += optimizer_problems(training.get("optimizer", {}), "training.optimizer")
    found += schedule_problems(training.get("schedule"), "training.schedule")
    if "text" in training:
        _check_fields("training.text", training["text"], TEXT_PARAMS, found)
    overrides = training.get("optimizers", {})
    if not isinstance(overrides, dict) or set(overrides) - {"generator", "discriminator"}:
        found.append(Problem('"training.optimizers" may only hold "generator" and "discriminator"'))
    else:
        for model, opt in overrides.items():
            found += optimizer_problems(opt, f"training.optimizers.{model}")
    _check_combinations(training, found)
    return found


def optimizer_problems(value: Any, where: str = "training.optimizer") -> list[Problem]:
    """Why these optimizer settings cannot be used (empty: they can), each naming `where`."""
    found: list[Problem] = []
    _check_fields(where, value, OPTIMIZER_PARAMS, found)
    if not isinstance(value, dict):
        return found
    betas = value.get("betas")
    if betas is not None and not (
        isinstance(betas, list | tuple)
        and len(betas) == 2
        and all(isinstance(b, int | float) and not isinstance(b, bool) for b in betas)
        and all(0 <= b < 1 for b in betas)
    ):
        found.append(Problem(f"{where}.betas must be two numbers in [0, 1), got {betas!r}"))
    if takes(value.get("type"), "nesterov") and value.get("nesterov") is True:
        if not value.get("momentum"):
            found.append(
                Problem(f"{where}.nesterov needs momentum", fix="set momentum above 0, e.g. 0.9")
            )
    return found


def schedule_problems(value: Any, where: str = "training.schedule") -> list[Problem]:
    """Why this learning-rate schedule cannot be used (empty: it can, or there is none)."""
    found: list[Problem] = []
    if value is not None:
        _check_fields(where, value, SCHEDULE_PARAMS, found)
    return found


def _check_fields(where, value, params, found, allow_unknown=False) -> None:
    if not isinstance(value, dict):
        found.append(Problem(f'"{where}" must be an object, got {value!r}'))
        return
    by_name = {p.name: p for p in params}
    for key, item in value.items():
        param = by_name.get(key)
        if param is None:
            if not allow_unknown:
                found.append(
                    Problem(f"unknown field {where}.{key}", fix="known: " + ", ".join(by_name))
                )
            continue
        if key == "betas":
            continue  # checked as a pair of floats above
        reason = param.check(item)
        if reason:
            found.append(Problem(f"{where}.{key} {reason}"))


def _check_dataset(value: Any, found: list[Problem]) -> None:
    if isinstance(value, str):
        if value not in BUILTIN_DATASETS:
            found.append(
                Problem(
                    f"unknown data set {value!r}",
                    fix="use one of "
                    + ", ".join(BUILTIN_DATASETS)
                    + ', or a file {"type": "csv", "path": ...}',
                )
            )
        return
    if (
        not isinstance(value, dict)
        or value.get("type") not in FILE_TYPES
        or not isinstance(value.get("path"), str)
    ):
        found.append(
            Problem(
                f'training.dataset must be a built-in name or {{"type": csv|npz|images|text, "path": ...}}, got {value!r}'
            )
        )
        return
    unknown = set(value) - {"type", "path", "target", "text"}
    if unknown:
        found.append(Problem(f"unknown field training.dataset.{sorted(unknown)[0]}"))


def _check_combinations(training: dict, found: list[Problem]) -> None:
    """Settings that are each fine but do not go together: a loss for another task."""
    task, loss = task_of(training), training.get("loss")
    if task in TASKS and loss in LOSSES:
        fits = losses_for(task)
        if loss not in fits:
            found.append(
                Problem(
                    f"training.loss {loss!r} does not fit the task {task!r}",
                    fix="use " + " or ".join(fits),
                )
            )
