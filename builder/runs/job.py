"""What a run is asked to do (`RunOptions`), the one job every executor trains (`Job`), and the
one path that trains it (`train_job`).

`RunOptions` goes from the page, the queue or the CLI through `start_run` to an executor in one
object. The executor records the run and turns the options into a `Job`: the design as its file
says it and everything the training needs, plain data that travels as one JSON line to a
worker process or as an argument to a Ray actor, and reads back the same.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

from builder.data.uploads import uploads_dir
from builder.design.spec import Design, load_design
from builder.runs.protocol import EventKind
from builder.runs.store import RunStore
from builder.training.control import LoopResult, RunControl, error_message, load_loop
from builder.training.runner import run_loop


@dataclass(frozen=True)
class RunOptions:
    """How to train a design, beside the design itself.

    `loop`: a loop named "module:function" instead of the design's own train.py; `threads`:
    torch threads (each executor has its default); `initial_weights`: a state_dict file to start
    from; `out_dir`: the run's folder (default WORKSPACE/runs/<run id>); `run_id`: a run already
    recorded as queued (builder.runs.queue), which starts now; `design_id`: the design document
    a new record belongs to; `executor`: where it trains (builder.runs.launch.executor_for).
    """

    epochs: int | None = None
    seed: int | None = None
    loop: str | None = None
    step_every: int = 10
    threads: int | None = None
    device: str | None = None
    initial_weights: str | Path | None = None
    out_dir: str | Path | None = None
    run_id: int | None = None
    design_id: str | None = None
    executor: object = None


@dataclass(frozen=True)
class Job:
    """One run's training, as plain data. `workspace`: the store the trainer records the run in
    itself (a local worker); None when whoever reads its events records it (Ray, a thread).
    `data_file`: the name of a data file shipped beside the job (Ray)."""

    design: dict
    out_dir: str | None = None
    run_id: int | None = None
    workspace: str | None = None
    epochs: int | None = None
    seed: int | None = None
    loop: str | None = None
    step_every: int = 10
    threads: int | None = None
    device: str | None = None
    data_root: str | None = None
    initial_weights: str | None = None
    data_file: str | None = None

    @classmethod
    def for_run(
        cls, design: Design, options: RunOptions, *, threads, data_root, out_dir=None, **place
    ) -> Job:
        """The job of `design` trained with `options`; `place`: run_id, workspace."""
        return cls(
            design=design.to_dict(),
            out_dir=None if out_dir is None else str(out_dir),
            epochs=options.epochs,
            seed=options.seed,
            loop=options.loop,
            step_every=options.step_every,
            threads=threads,
            device=options.device,
            data_root=None if data_root is None else str(data_root),
            initial_weights=None
            if options.initial_weights is None
            else str(options.initial_weights),
            **place,
        )

    def to_wire(self) -> dict:
        return asdict(self)

    @classmethod
    def from_wire(cls, raw) -> Job:
        """The job a dict describes; ValueError naming a field this version does not know."""
        if not isinstance(raw, dict) or "design" not in raw:
            raise ValueError("a job is an object with its design")
        unknown = set(raw) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"a job has no field {', '.join(sorted(unknown))}")
        return cls(**raw)


def record_run(store: RunStore, design: Design, options: RunOptions) -> tuple[int, Path]:
    """(run id, run folder): a new record of the run, or the queued one `options.run_id` names;
    its folder made."""
    run_id = options.run_id
    if run_id is None:
        run_id = store.create_run(design, out_dir=options.out_dir, design_id=options.design_id)
    out = Path(options.out_dir) if options.out_dir else store.run_dir(run_id)
    out.mkdir(parents=True, exist_ok=True)
    return run_id, out


def recorded_job(
    design: Design, workspace, options: RunOptions, *, threads, records_itself: bool
) -> tuple[RunStore, Job]:
    """(store, job) of a run recorded now in the store of `workspace` and trained on this
    machine, reading only the person's uploads. `records_itself`: the trainer writes the store
    (a worker process), else whoever reads its events does."""
    store = RunStore(workspace)
    run_id, out_dir = record_run(store, design, options)
    job = Job.for_run(
        design,
        options,
        out_dir=out_dir,
        threads=threads,
        data_root=uploads_dir(store.root),  # the app reads only the person's uploads
        run_id=run_id,
        workspace=str(store.root) if records_itself else None,
    )
    return store, job


def default_threads() -> int:
    """All cores but one, which is left to the page."""
    return max(1, (os.cpu_count() or 2) - 1)


def train_job(job: Job, control: RunControl) -> LoopResult | None:
    """The one training path of every executor: train the job's design into its folder, every
    event through `control`'s sinks, ending with one `done` or `error` event. Never raises;
    None when the run failed."""
    if job.threads:
        torch.set_num_threads(int(job.threads))
    try:
        design = load_design(job.design)
        loop = load_loop(job.loop) if job.loop else None
    except Exception as exc:  # a bad job still ends with one error event
        control.emit(EventKind.ERROR, message=error_message(exc), step=None, epoch=None)
        return None
    return run_loop(
        loop,
        design,
        control,
        out_dir=job.out_dir,
        epochs=job.epochs,
        seed=job.seed,
        **_train_options(job),
    )


def _train_options(job: Job) -> dict:
    """What the design's own training takes from the job (a custom loop takes none of it)."""
    if job.loop:
        return {}
    options = {"data_root": job.data_root}
    if job.initial_weights:
        options["initial_weights"] = job.initial_weights
    if job.device:
        options["device"] = job.device
    return options
