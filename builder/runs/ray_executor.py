"""Runs on a Ray cluster: `start_run(..., executor="ray")`, or `RayExecutor().start(...)`.

Each run is one Ray actor (builder.runs.ray_actor) that asks for CPUs ($NETBUILDER_RAY_CPUS,
default 1, or the run's `threads`) and one GPU when the cluster has any. The page server keeps
the run store: its handle takes the actor's events, writes the store and the run's folder
(weights, samples) from them, and answers poll/pause/resume/stop like a local worker's handle.
A worker that dies mid-run leaves the run "interrupted" with its finished epochs kept; an ended
or stopped run's actor is killed, so its CPUs and GPU go back to the cluster.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from pathlib import Path

import ray
from ray.exceptions import RayError

from builder.atomic import write_atomic
from builder.data.uploads import uploads_dir
from builder.design.spec import load_design
from builder.limits import EnvLimit
from builder.runs.events import drain
from builder.runs.ray_actor import RunActor
from builder.runs.ray_connect import connect, has_gpus, head_answers
from builder.runs.ray_job import pack_job
from builder.runs.samples_file import SAMPLES_FILE, SamplesFile
from builder.runs.store import RunStore, StoreError
from builder.runs.worker import STOP_GRACE_S, RunHandle

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

    def start(
        self,
        design,
        workspace=None,
        *,
        epochs: int | None = None,
        seed: int | None = None,
        loop: str | None = None,
        step_every: int = 10,
        threads: int | None = None,
        initial_weights=None,
        out_dir=None,
        device: str | None = None,
        run_id: int | None = None,
        design_id: str | None = None,
    ) -> RayRunHandle:
        """Record the run (or start `run_id`, recorded as queued) and start its actor. Raises
        RayUnreachable (nothing recorded) when the cluster does not answer, DataError when the
        data file is too large to send."""
        address = connect(self.address)
        design = load_design(design)
        store = RunStore(workspace)
        cpus = threads or self.cpus or _cpus_setting()
        total = ray.cluster_resources().get("CPU", 0)
        if cpus > total:
            raise ValueError(
                f"a run asks for {cpus} CPUs, and the Ray cluster at {address} has {total:g} "
                f"in all; ask for fewer ({CPUS_ENV} or the run's threads)"
            )
        job, files = pack_job(
            design,
            uploads_dir(store.root),  # the app reads only the person's uploads
            initial_weights=initial_weights,
            epochs=epochs,
            seed=seed,
            loop=loop,
            step_every=step_every,
            threads=cpus,
            device=device,
        )
        if run_id is None:
            run_id = store.create_run(design, out_dir=out_dir, design_id=design_id)
        # This process reads the actor's events and writes the store: while it lives, the run
        # is owned; if it goes, the run reads back as interrupted.
        store.mark_started(run_id, os.getpid())
        out = Path(out_dir) if out_dir else store.run_dir(run_id)
        out.mkdir(parents=True, exist_ok=True)
        actor = RemoteRun.options(
            num_cpus=cpus,
            num_gpus=1 if device != "cpu" and has_gpus() else 0,
            max_restarts=0,
            max_concurrency=4,  # take() waits while commands come in
        ).remote(job, files)
        return RayRunHandle(run_id, actor, store.root, out)


class RayRunHandle:
    """A run on the cluster, seen from the page server; the same surface as RunHandle."""

    def __init__(self, run_id: int, actor, workspace: Path, out_dir: Path):
        self.run_id = run_id
        self.actor = actor
        self.workspace = workspace
        self.out_dir = Path(out_dir)
        self.status = "starting"
        self.last_error: str | None = None
        self._store = RunStore(workspace)
        self._record = self._store.sink(run_id)
        self._samples = SamplesFile(self.out_dir / SAMPLES_FILE)  # a GAN's, at its end
        self._queue: queue.Queue = queue.Queue()
        self._ended = False
        self._stop_requested = False
        self._numbers = itertools.count(1)
        self._finished = threading.Event()
        self._reader = threading.Thread(target=self._read, name=f"run-{run_id}-ray", daemon=True)
        self._reader.start()

    _track = RunHandle._track  # the same reading of start/status/done/error events

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
                if event["type"] == "checkpoint":
                    return
                event["weights_path"] = None
        try:
            self._record(event)
        except StoreError:
            pass  # the store may be unreachable; the event still reaches the page
        self._samples(event)
        self._track(event)
        self._queue.put(event)

    def _write_weights(self, data: bytes) -> Path:
        return write_atomic(self.out_dir / "weights.pt", data)  # never half a file for the page

    def _lost(self, exc: BaseException | None) -> None:
        """The actor ended without a last event: stopped before it could save, could not start
        on its worker (an error), or its worker died (the run is then interrupted; the epochs
        recorded so far stay)."""
        lines = str(exc or "").strip().splitlines()
        if self._stop_requested:
            status, message = "stopped", "stopped before its first saved weights"
        elif getattr(exc, "actor_init_failed", False):
            status = "error"
            message = (
                f"the Ray worker could not start this run ({lines[-1][:300]}); every machine of "
                "the cluster needs netbuilder and the Ray version of this server"
            )
        else:
            status = "interrupted"
            why = lines[0][:300] if lines else "it ended without a word"
            message = f"the Ray worker training this run went away ({why})"
        try:
            self._store.finish_run(
                self.run_id, status, error=None if status == "stopped" else message
            )
        except StoreError:
            pass
        if status == "error":
            event = {"type": "error", "message": message, "step": None, "epoch": None}
        else:
            event = {"type": "done", "status": status, "note": message, "final": None}
        self._samples(event)
        self._track(event)
        if status == "interrupted":
            self.last_error = message
        self._queue.put(event)

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

    def poll(self) -> list[dict]:
        """Every event since the last poll, oldest first."""
        return drain(self._queue)

    def pause(self) -> None:
        self._command("pause")

    def resume(self) -> None:
        self._command("resume")

    def stop(self, timeout: float = STOP_GRACE_S) -> None:
        """Ask the run to stop (it saves its weights); kill its actor if it has not ended in
        `timeout` (one still queued or starting up reads no command before it trains)."""
        self._stop_requested = True
        self._command("stop")
        if not self._finished.wait(timeout):
            self._free()
            self._finished.wait(30)
        self._reader.join(2.0)

    def wait(self, timeout: float | None = None) -> int | None:
        """0 once the run finished or stopped, 1 once it failed; None if still going."""
        if not self._finished.wait(timeout):
            return None
        return 0 if self.status in ("finished", "stopped") else 1

    @property
    def alive(self) -> bool:
        return not self._finished.is_set()
