"""A training in a background thread of this process, for notebooks and the CLI.

The app never uses it (it trains in its own process, builder.runs.worker). `ThreadRun` is a run
handle like every executor's (poll, pause, resume, stop, wait, alive), with `join` and the
loop's `result` besides; `ThreadExecutor` starts one recorded in a workspace's store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from builder.runs.handle import STOP_GRACE_S, RunHandle
from builder.runs.job import Job, RunOptions, recorded_job, train_job
from builder.runs.samples_file import SAMPLES_FILE, SamplesFile
from builder.runs.store import RunStore
from builder.training.control import LoopResult, RunControl
from builder.training.runner import run_loop


class ThreadRun(RunHandle):
    """`design` trained by `loop` (None: its own train.py) in a thread; `kwargs` go to the loop
    (epochs, seed, dataset, data_root, initial_weights …). `sinks` see each event before it is
    delivered to `poll` (a run store's sink: what the page hears is recorded already)."""

    def __init__(
        self, design, loop=None, *, out_dir=None, step_every: int = 10, sinks=(), **kwargs
    ):
        self._begin(
            lambda control: run_loop(loop, design, control, out_dir=out_dir, **kwargs),
            run_id=None,
            out_dir=out_dir,
            step_every=step_every,
            sinks=sinks,
        )

    @classmethod
    def of_job(cls, job: Job, workspace) -> ThreadRun:
        """The job trained in a thread, recorded in the store of `workspace` as it goes."""
        run = cls.__new__(cls)
        run._begin(
            lambda control: train_job(job, control),
            run_id=job.run_id,
            out_dir=job.out_dir,
            step_every=job.step_every,
            workspace=workspace,
            sinks=[RunStore(workspace).sink(job.run_id)],
        )
        return run

    def _begin(
        self,
        train: Callable[[RunControl], LoopResult | None],
        *,
        run_id,
        out_dir,
        step_every,
        sinks=(),
        workspace=None,
    ) -> None:
        super().__init__(run_id, out_dir, workspace)
        self.control = RunControl([*sinks, self._deliver], step_every=step_every)
        if out_dir is not None:
            self.control.add_sink(SamplesFile(Path(out_dir) / SAMPLES_FILE))
        self.result: LoopResult | None = None

        def target():
            try:
                self.result = train(self.control)
            finally:
                self._finished.set()

        self._thread = threading.Thread(target=target, name="netbuilder-train", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self, timeout: float | None = STOP_GRACE_S) -> None:
        """Ask the loop to stop after this step; wait up to `timeout` for it (a thread cannot
        be ended outright: one busy elsewhere ends at its next step)."""
        self._stop_requested = True
        self.control.stop()
        if timeout is not None:
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


class ThreadExecutor:
    """Runs in threads of this process, recorded in the workspace's store (notebooks, tests)."""

    def start(self, design, workspace, options: RunOptions) -> ThreadRun:
        store, job = recorded_job(
            design, workspace, options, threads=options.threads, records_itself=False
        )
        return ThreadRun.of_job(job, store.root)
