"""One run on a Ray worker: the actor that `builder.runs.ray_executor` starts on the cluster.

It writes the job's files into a folder of its own, trains with `builder.runs.job.train_job`
(every executor's path) in a thread, and keeps the events for the page server, which takes
them with `take` (a long poll, so a loss point leaves within milliseconds). Saved weights go
back inside their event as bytes, since the page server cannot read this machine's disk.
Commands carry a number: Ray may run a threaded actor's calls out of order, so an older
pause or resume that arrives late is ignored.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

from builder.runs.job import Job, train_job
from builder.runs.protocol import Command, EventKind, command
from builder.runs.ray_job import unpack_job
from builder.training.control import RunControl

WEIGHT_EVENTS = (EventKind.CHECKPOINT, EventKind.DONE)


class RunActor:
    def __init__(self, job: dict, files: dict):
        self._folder = Path(tempfile.mkdtemp(prefix="netbuilder-run-"))
        job = unpack_job(Job.from_wire(job), files, self._folder)
        self._events: list[dict] = []
        self._ended = False
        self._changed = threading.Condition()
        self._last_command = 0
        self._commands = threading.Lock()
        self._control = RunControl([self._keep], step_every=job.step_every or 10)
        threading.Thread(target=self._train, args=(job,), name="training", daemon=True).start()

    def _train(self, job: Job) -> None:
        try:
            train_job(job, self._control)
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)  # its weights left in their events
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def _keep(self, event: dict) -> None:
        if event["type"] in WEIGHT_EVENTS and event.get("weights_path"):
            event = {**event, "weights_bytes": Path(event["weights_path"]).read_bytes()}
        with self._changed:
            self._events.append(event)
            self._changed.notify_all()

    def take(self, wait_s: float = 0.25) -> tuple[list[dict], bool]:
        """(events since the last take, whether training has ended); waits up to `wait_s` for one."""
        with self._changed:
            self._changed.wait_for(lambda: self._events or self._ended, timeout=wait_s)
            events, self._events = self._events, []
            return events, self._ended

    def command(self, number: int, name: str) -> None:
        """pause, resume or stop; a command older than one already obeyed is ignored."""
        said = command(name)
        if said == Command.STOP:
            self._control.stop()  # whenever it arrives: stop is never undone
        with self._commands:
            if number <= self._last_command:
                return
            self._last_command = number
            self._control.obey(said)

    def pid(self) -> int:
        return os.getpid()
