"""Running a design's training: its train.py's own train(), with the app's hooks.

`run_loop` is the one entry point for the worker process, the CLI and notebooks: it checks the
design and data first, runs the training program (builder.codegen.program), saves the weights,
and ends with a `done` or `error` event; it never raises.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from builder.codegen.program import training_program
from builder.data.sources import DataError
from builder.data.text import VOCAB_FILE
from builder.design.spec import load_design
from builder.introspect.trained import load_weights, trained_models
from builder.runs.protocol import EventKind, RunStatus
from builder.training.checks import checked_inputs
from builder.training.control import (
    LoopResult,
    RunControl,
    TrainingError,
    error_message,
    periodic_saver,
    save_vocabulary,
    save_weights,
)


def program_data(dataset) -> dict:
    """A loaded data set as the arrays train.py's train() and find_lr() take."""
    return {
        "x_train": dataset.x_train,
        "y_train": dataset.y_train,
        "x_val": dataset.x_val,
        "y_val": dataset.y_val,
        "classes": dataset.class_names,
        "features": dataset.feature_names,
        "vocab": dataset.vocab,
    }


def train_loop(
    design,
    control: RunControl,
    *,
    epochs=None,
    seed=None,
    device=None,
    dataset=None,
    data_root=None,
    initial_weights=None,
    health_every=None,
):
    """Train the design with its generated train.py; `dataset` replaces its data set (tests),
    `data_root` confines the data file to one folder (the app: the person's uploads),
    `initial_weights` (a state_dict, or a path to one) is where training starts, and
    `health_every` the steps between health records (None: train.py's own; 0: none)."""
    design = load_design(design)
    settings, dataset = checked_inputs(
        design, epochs=epochs, seed=seed, dataset=dataset, data_root=data_root
    )
    program = training_program(design)
    data = program_data(dataset)
    source = settings["dataset"]
    if isinstance(initial_weights, str | Path):
        initial_weights = load_weights(initial_weights)
    if initial_weights is not None:
        trained_models(design, initial_weights)  # refuses weights of another design, by name
    use = health_every is not None and program.RECORDS_HEALTH
    options = {"health_every": int(health_every)} if use else {}
    try:
        out = program.train(
            control,
            data,
            source=source["path"] if isinstance(source, dict) else source,
            epochs=settings["epochs"],
            seed=settings["seed"],
            batch_size=settings["batch_size"],
            device=device,
            initial_weights=initial_weights,
            **options,
        )
    except program.TrainingError as exc:  # the program's own, as ours
        raise TrainingError(str(exc), step=exc.step, epoch=exc.epoch) from None
    except program.DataError as exc:
        raise DataError(str(exc)) from None
    return LoopResult(final=out["final"], weights=out["weights"], vocab=out.get("vocab"))


def run_loop(loop, design, control: RunControl, *, out_dir=None, **kwargs) -> LoopResult | None:
    """Run `loop` (None: the design's own training) to the end: emit `done` (finished or
    stopped) or `error`, and save the weights to OUT_DIR/weights.pt as it trains. Never raises."""
    start = time.perf_counter()
    try:
        if out_dir is not None:
            control.keep_weights_with(periodic_saver(control, Path(out_dir) / "weights.pt"))
        result = (loop or train_loop)(design, control, **kwargs)
        weights_path = None
        if out_dir is not None and result.weights:
            weights_path = str(save_weights(result.weights, Path(out_dir) / "weights.pt"))
        if out_dir is not None and result.vocab is not None:
            save_vocabulary(result.vocab, Path(out_dir) / VOCAB_FILE)
    except Exception as exc:  # the run ends here; the watcher gets the reason
        control.emit(
            EventKind.ERROR,
            message=error_message(exc),
            step=getattr(exc, "step", None),
            epoch=getattr(exc, "epoch", None),
            problems=[p.to_dict() for p in getattr(exc, "problems", [])] or None,
            detail=None if isinstance(exc, TrainingError) else traceback.format_exc(limit=8),
            seconds=time.perf_counter() - start,
        )
        return None
    control.emit(
        EventKind.DONE,
        status=control.stop_status if control.stopped else RunStatus.FINISHED,
        final=result.final,
        weights_path=weights_path,
        seconds=time.perf_counter() - start,
    )
    return result
