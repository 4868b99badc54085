"""Everything checked before a training's first step: settings, shapes, data against design.

A run fails here, with problems pinned to nodes and fields, or not at all for these reasons.
"""

from __future__ import annotations

from builder.data import Dataset, check_dataset, load_dataset
from builder.data.check import data_model, model_io
from builder.data.datasets import dataset_label
from builder.design.settings import optimizer_problems, schedule_problems
from builder.design.shapes import analyze, batch_memory_problem, infer_shapes
from builder.design.spec import load_design
from builder.errors import GraphError, Problem
from builder.layers.registry import fmt_shape
from builder.recipes.losses import check_loss
from builder.recipes.optimizers import model_optimizer
from builder.training.control import TrainingError

MODELS = ("generator", "discriminator")


def settings_for(design, epochs: int | None = None, seed: int | None = None) -> dict:
    """The training section with defaults, the task's default loss, and CLI overrides."""
    settings = design.settings
    if epochs is not None:
        settings["epochs"] = int(epochs)
    if seed is not None:
        settings["seed"] = int(seed)
    problems = optimizer_problems(settings["optimizer"], "training.optimizer")
    problems += schedule_problems(settings.get("schedule"), "training.schedule")
    if problems:
        raise GraphError(problems)
    return settings


def gan_problems(design, dataset: Dataset | None = None, shapes: dict | None = None) -> list:
    """Every reason this GAN design cannot train on its data, each naming the node and both shapes.

    Raises GraphError when the graphs themselves are wrong (including the generator/discriminator
    contract); returns the problems between the design and `dataset` (none given: none checked).
    """
    design = load_design(design)
    if not design.is_gan:
        return [Problem('a GAN needs two models, "generator" and "discriminator"')]
    shapes = shapes if shapes is not None else infer_shapes(design)
    problems: list[Problem] = []
    settings = design.training or {}
    if settings.get("loss", "bce") != "bce":
        problems += [Problem(m) for m in check_loss("gan", settings["loss"], [1])]
    for model in MODELS:
        cfg = model_optimizer(settings, model)
        problems += optimizer_problems(cfg, f"training.optimizers.{model}")
    if dataset is None:
        return problems
    problems += check_dataset(dataset, design, shapes)
    gen = shapes["generator"]
    out_id = list(gen)[-1]
    if list(gen[out_id]) != dataset.sample_shape:
        label = dataset_label(settings.get("dataset"))
        problems.append(
            Problem(
                f"outputs {fmt_shape(gen[out_id])}, but the data set {label!r} gives samples of "
                f"shape {fmt_shape(dataset.sample_shape)}",
                out_id,
                "generator",
                design.models["generator"].node(out_id).type,
                f"make the generator end in {fmt_shape(dataset.sample_shape)}",
            )
        )
    return problems


def checked_inputs(
    design, *, epochs=None, seed=None, dataset: Dataset | None = None, data_root=None
):
    """(settings, dataset) checked against the design and each other; raises, never mid-run.

    The data is split with the run's seed, as train.py splits it with --seed; with `data_root`
    a data file is read only from inside that folder (the app: the person's uploads).
    """
    design = load_design(design)
    task = design.task
    if (task == "gan") != design.is_gan:
        if task == "gan":
            raise TrainingError(
                'task "gan" needs two models, "generator" and "discriminator"; this design has '
                + ", ".join(design.models)
            )
        raise TrainingError(f'this design is a GAN; task {task!r} needs one model named "model"')
    analysis = analyze(design)
    if analysis.problems:
        raise GraphError(analysis.problems)
    shapes = analysis.shapes
    settings = settings_for(design, epochs, seed)
    too_big = batch_memory_problem(analysis, settings["batch_size"])
    if too_big:
        raise GraphError([too_big])
    if dataset is None:
        io = model_io(design, data_model(design))
        dataset = load_dataset(
            settings, io["input_shape"], data_root=data_root, input_id=io["input_id"]
        )
    if design.is_gan:
        problems = gan_problems(design, dataset, shapes)
    else:  # the data against the Input, and the loss against the output and the targets
        problems = check_dataset(dataset, design, shapes)
    if problems:
        raise GraphError(problems)
    return settings, dataset
