"""The learning-rate finder of a design: its train.py's own find_lr(), on the design's data."""

from __future__ import annotations

from builder.codegen.program import training_program
from builder.data.sources import DataError
from builder.design.spec import load_design
from builder.training.checks import checked_inputs
from builder.training.control import TrainingError
from builder.training.runner import program_data


def find_learning_rate(design, *, seed=None, device=None, dataset=None, data_root=None) -> dict:
    """{"suggested_lr", "lrs", "losses"} of the range test from the design's initial weights
    (its settings and seed); raises TrainingError for a GAN, which has no finder."""
    design = load_design(design)
    settings, dataset = checked_inputs(
        design, epochs=None, seed=seed, dataset=dataset, data_root=data_root
    )
    program = training_program(design)
    if not program.RECORDS_HEALTH:
        raise TrainingError("the learning-rate finder trains one model; a GAN has two")
    try:
        return program.find_lr(
            program_data(dataset),
            seed=settings["seed"],
            batch_size=settings["batch_size"],
            device=device,
        )
    except program.TrainingError as exc:
        raise TrainingError(str(exc), step=exc.step, epoch=exc.epoch) from None
    except program.DataError as exc:
        raise DataError(str(exc)) from None
