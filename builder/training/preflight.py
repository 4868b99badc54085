"""Before Train is pressed: every reason the design's settings cannot train, per setting.

The page shows each list next to its control (task, data set, loss, optimizer, schedule) and
keeps Train disabled while any is non-empty.  The checks are the trainer's own (settings,
losses, optimizers, data against design, GAN contract), so what passes here also passes
`builder.training.checks.checked_inputs`.
"""

from __future__ import annotations

from builder.data import Dataset, check_dataset
from builder.data.check import data_model, model_io
from builder.design.settings import (
    optimizer_problems,
    resolved_training,
    schedule_problems,
    validate_training,
)
from builder.design.shapes import analyze, batch_memory_problem
from builder.design.spec import load_design
from builder.recipes.losses import check_loss
from builder.recipes.tasks import DEFAULT_LOSS, task_of
from builder.training.checks import gan_problems

SECTIONS = ("design", "task", "dataset", "loss", "optimizer", "schedule", "settings")


def _section_of(text: str) -> str:
    for key, section in (
        ("training.dataset", "dataset"),
        ("training.optimizer", "optimizer"),
        ("training.schedule", "schedule"),
        ("training.task", "task"),
        ("training.loss", "loss"),
        ("data set", "dataset"),
    ):
        if key in text:
            return section
    return "settings"


def training_problems(
    design, dataset: Dataset | None = None, data_error: str | None = None
) -> dict[str, list[str]]:
    """Section -> messages (only sections with problems). `dataset` is the loaded data set, or
    `data_error` the reason it could not be loaded."""
    design = load_design(design)
    found: dict[str, list[str]] = {}

    def add(section: str, message: str) -> None:
        items = found.setdefault(section, [])
        if message not in items:
            items.append(message)

    training = dict(design.training or {})
    task = task_of(training)
    for problem in validate_training(training):
        add(_section_of(problem.message), str(problem))
    analysis = analyze(design)
    if analysis.problems:
        count = len(analysis.problems)
        add(
            "design",
            f"the design has {count} problem{'s' if count != 1 else ''} (see Design); "
            f"first: {analysis.problems[0]}",
        )
    if not analysis.problems:
        too_big = batch_memory_problem(analysis, resolved_training(training)["batch_size"])
        if too_big:
            add("settings", str(too_big))
    if task == "gan" and not design.is_gan:
        add("task", 'task "gan" needs a generator and a discriminator; open a GAN preset')
    if task != "gan" and design.is_gan:
        add(
            "task",
            f'this design is a GAN (generator and discriminator); task {task!r} needs one "model"',
        )
    for message in map(str, optimizer_problems(training.get("optimizer", {}), "optimizer")):
        add("optimizer", message)
    for model in ("generator", "discriminator") if design.is_gan else ():
        override = (training.get("optimizers") or {}).get(model)
        if override:
            cfg = {**training.get("optimizer", {}), **override}
            for message in map(str, optimizer_problems(cfg, f"{model} optimizer")):
                add("optimizer", message)
    for message in map(str, schedule_problems(training.get("schedule"), "schedule")):
        add("schedule", message)
    loss = training.get("loss") or DEFAULT_LOSS.get(task, "cross_entropy")
    output_shape = None
    if not analysis.problems and (task == "gan") == design.is_gan:
        try:
            output_shape = model_io(design, data_model(design), analysis.shapes)["output_shape"]
        except ValueError:
            output_shape = None
    for message in check_loss(task, loss, [1] if task == "gan" else output_shape):
        add("loss", message)
    if data_error:
        add("dataset", data_error)
    elif dataset is not None and not analysis.problems and (task == "gan") == design.is_gan:
        for problem in _data_problems(design, dataset, analysis.shapes):
            if not any(message in problem for message in found.get("loss", [])):
                add("dataset", problem)
    return found


def _data_problems(design, dataset: Dataset, shapes) -> list[str]:
    if design.is_gan:
        return [str(p) for p in gan_problems(design, dataset, shapes) if p.node_id is not None]
    return [str(p) for p in check_dataset(dataset, design, shapes)]
