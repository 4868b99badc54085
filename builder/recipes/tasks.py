"""What a design can learn: each task with its default loss and the training loop it runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    name: str
    loss: str  # the loss it trains with when the design names none
    loop: str  # the training loop template (builder/codegen/templates/<loop>.py)
    help: str


_TASKS = (
    Task(
        "classification",
        "cross_entropy",
        "supervised",
        "predict a class: the last layer outputs one score per class",
    ),
    Task("regression", "mse", "supervised", "predict numbers from features"),
    Task("forecasting", "mse", "supervised", "predict the next value of a sequence"),
    Task(
        "language_model",
        "cross_entropy",
        "language_model",
        "predict the next token of a text at every position (nats per token, perplexity)",
    ),
    Task(
        "gan",
        "bce",
        "gan",
        "a generator learns to make samples a discriminator cannot tell from real ones",
    ),
)
TASK_RECIPES = {task.name: task for task in _TASKS}
DEFAULT_TASK = "classification"
TASKS = tuple(TASK_RECIPES)
DEFAULT_LOSS = {task.name: task.loss for task in _TASKS}


def task_of(training: dict | None) -> str:
    """The task a design's `training` section names (a section that names none: the default).
    `Design.task` asks this; so does everything that holds only the training section."""
    return (training or {}).get("task") or DEFAULT_TASK
