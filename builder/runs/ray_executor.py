"""Runs on a Ray cluster: `start_run(design, workspace, RunOptions(executor="ray"))`, or
`RayExecutor().start(design, workspace, options)`.

Each run is one Ray actor (builder.runs.ray_actor) that asks for CPUs ($NETBUILDER_RAY_CPUS,
default 1, or the run's `threads`) and one GPU when the cluster has any. The page server keeps
the run store: its handle takes the actor's events, writes the store and the run's folder
(weights, samples) from them, and answers the run-handle contract (builder.runs.handle).
A worker that dies mid-run leaves the run "interrupted" with its finished epochs kept; an ended
or stopped run's actor is killed, so its CPUs and GPU go back to the cluster.
"""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

import ray
from ray.exceptions import RayError

from builder.atomic import write_atomic
from builder.data.uploads import uploads_dir
from builder.limits import EnvLimit
from builder.runs.handle import STOP_GRACE_S, RunHandle
from builder.runs.job import Job, RunOptions, record_run
from builder.runs.protocol import Command, EventKind, RunStatus
from builder.runs.ray_actor import RunActor
from builder.runs.ray_connect import connect, has_gpus, head_answers
from builder.runs.ray_job import pack_job
from builder.runs.samples_file import SAMPLES_FILE, SamplesFile
from builder.runs.store import RunStore, StoreError

CPUS_ENV = "NETBUILDER_RAY_CPUS"
TAKE_WAIT_S = 0.25  # how long one event poll waits on the actor when nothing happens
CHECK_EVERY_S = 1.0  # how often a reader waiting on a queued actor looks up
RemoteRun = ray.remote(RunActor)


CPUS = EnvLimit(CPUS_ENV, 1, "CPUs", whole=True)


def _cpus_setting() -> int:
    return CPUS.read()


class RayExecutor:
    """Starts runs as actors on the cluster at `address` (default $NETBUILDER_RAY_ADDRESS)."""

    def __init__(self, address: str | None = None, cpus: int | None = None):
        self.address = address
        self.cpus = cpus

    def start(self, design, workspace, options: RunOptions) -> RayRunHandle:
        """Record the run (or start `options.run_id`, recorded as queued) and start its actor.
        Raises RayUnreachable (nothing recorded) when the cluster does not answer, DataError
        when the data file is too large to send."""
        address = connect(self.address)
        store = RunStore(workspace)
        cpus = options.threads or self.cpus or _cpus_setting()
        total = ray.cluster_resources().get("CPU", 0)
        if cpus > total:
            raise ValueError(
                f"a run asks for {cpus} CPUs, and the Ray cluster at {address} has {total:g} "
                f"in all; ask for fewer ({CPUS_ENV} or the run's threads)"
            )
        job = Job.for_run(
            design,
            options,
            threads=cpus,
            data_root=uploads_dir(store.root),  # the app reads only the person's uploads
        )
        job, files = pack_job(job)
        run_id, out = record_run(store, design, options)
        # This process reads the actor's events and writes the store: while it lives, the run
        # is owned; if it goes, the run reads back as interrupted.
        store.mark_started(run_id, os.getpid())
        actor = RemoteRun.options(
            num_cpus=cpus,
            num_gpus=1 if options.device != "cpu" and has_gpus() else 0,
            max_restarts=0,
            max_concurrency=4,  # take() waits while commands come in
        ).remote(job.to_wire(), files)
        return RayRunHandle(run_id, actor, store.root, out)


class RayRunHandle(RunHandle):
    """A run on the cluster, seen from the page server."""

    def __init__(self, run_id: int, actor, workspace: Path, out_dir: Path):
        super().__init__(run_id, out_dir, workspace)
        self.actor = actor
        self._record = RunStore(workspace).sink(run_id)
        self._samples = SamplesFile(self.out_dir / SAMPLES_FILE)
        self._numbers = itertools.count(1)
        self._reader = threading.Thread(target=self._read, name=f"run-{run_id}-ray", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        pending = None
        try:
            while not self._ended:
                if pending is None:
                    pending = self.actor.take.remote(TAKE_WAIT_S)
                ready, _ = ray.wait([pending], timeout=CHECK_EVERY_S)
                if not ready:  # the actor is queued for resources, or starting up
                    if not head_answers():  # ...or the cluster is gone, and it never will
                        self._lost(ConnectionError("the cluster's head stopped answering"))
                        break
                    continue
                pending = None
                try:
                    events, ended = ray.get(ready[0])
                except RayError as exc:
                    self._lost(exc)
                    break
                for event in events:
                    self._receive(event)
                if ended and not self._ended:
                    self._lost(None)
        except Exception as exc:  # the run must still end with one last event
            if not self._ended:
                self._lost(exc)
        finally:
            self._free()
            self._finished.set()

    def _receive(self, event: dict) -> None:
        data = event.pop("weights_bytes", None)
        if data is not None:
            try:
                event["weights_path"] = str(self._write_weights(data))
            except OSError:  # a full disk here: the run goes on, this snapshot is not kept
                if event["type"] == EventKind.CHECKPOINT:
                    return
                event["weights_path"] = None
        try:
            self._record(event)
        except StoreError:
            pass  # the store may be unreachable; the event still reaches the page
        self._deliver(event)

    def _deliver(self, event: dict) -> None:
        self._samples(event)  # kept in the run's folder here, as a local worker keeps them
        super()._deliver(event)

    def _write_weights(self, data: bytes) -> Path:
        return write_atomic(self.out_dir / "weights.pt", data)  # never half a file for the page

    def _lost(self, exc: BaseException | None) -> None:
        """The actor ended without a last event: stopped before it could save, could not start
        on its worker (an error), or its worker died (the run is then interrupted; the epochs
        recorded so far stay)."""
        lines = str(exc or "").strip().splitlines()
        if getattr(exc, "actor_init_failed", False):
            self._end_unheard(
                RunStatus.ERROR,
                f"the Ray worker could not start this run ({lines[-1][:300]}); every machine of "
                "the cluster needs netbuilder and the Ray version of this server",
            )
        else:
            why = lines[0][:300] if lines else "it ended without a word"
            self._end_unheard(
                RunStatus.INTERRUPTED, f"the Ray worker training this run went away ({why})"
            )

    def _free(self) -> None:
        try:
            ray.kill(self.actor, no_restart=True)  # its CPUs and GPU go back to the cluster
        except (RayError, ValueError):
            pass  # already gone

    def _command(self, name: str) -> None:
        try:
            self.actor.command.remote(next(self._numbers), name)
        except RayError:
            pass  # the actor is gone; the reader reports it

    def pause(self) -> None:
        self._command(Command.PAUSE)

    def resume(self) -> None:
        self._command(Command.RESUME)

    def stop(self, timeout: float = STOP_GRACE_S) -> None:
        """Ask the run to stop (it saves its weights); kill its actor if it has not ended in
        `timeout` (one still queued or starting up reads no command before it trains)."""
        self._stop_requested = True
        self._command(Command.STOP)
        if not self._finished.wait(timeout):
            self._free()
            self._finished.wait(30)
        self._reader.join(2.0)
