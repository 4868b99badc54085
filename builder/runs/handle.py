"""The run-handle contract: what every executor's run answers, wherever it trains.

A handle is cheap to poll from a page's timer: `poll()` returns the events since the last poll,
`status` follows them, `pause()` / `resume()` / `stop()` steer the run, `wait()` blocks until it
has ended, `alive` says whether events may still come. The status tracking lives here once; an
executor (a local process, a Ray actor, a thread) only delivers the run's events and carries
its commands.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Protocol

from builder.runs.protocol import EventKind, RunStatus, dispatch, make_event, run_status
from builder.runs.store import RunStore, StoreError

STOP_GRACE_S = 1.5  # how long a stopped run may take to save before it is ended outright
STOPPED_EARLY = "stopped before its first saved weights"


def drain(events: queue.Queue) -> list[dict]:
    """Everything waiting in the queue, oldest first, without blocking."""
    found = []
    while True:
        try:
            found.append(events.get_nowait())
        except queue.Empty:
            return found


class RunHandle(ABC):
    """One run seen from whoever started it. Subclasses deliver each event with `_deliver`,
    set `_finished` once the last one is delivered, and carry the commands."""

    def __init__(self, run_id: int | None, out_dir, workspace=None):
        self.run_id = run_id
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.workspace = None if workspace is None else Path(workspace)
        self.status = RunStatus.STARTING
        self.last_error: str | None = None
        self._events: queue.Queue = queue.Queue()
        self._ended = False
        self._stop_requested = False
        self._finished = threading.Event()
        self._tracking = {
            EventKind.START: self._on_start,
            EventKind.STATUS: self._on_status,
            EventKind.DONE: self._on_done,
            EventKind.ERROR: self._on_error,
        }

    # -- the status, from the events --------------------------------------------------------
    def _on_start(self, event: dict) -> None:
        self.status = RunStatus.RUNNING

    def _on_status(self, event: dict) -> None:
        self.status = run_status(event["status"])

    def _on_done(self, event: dict) -> None:
        self.status, self._ended = run_status(event["status"]), True
        if self.status == RunStatus.INTERRUPTED:
            self.last_error = event.get("note")

    def _on_error(self, event: dict) -> None:
        self.status, self._ended = RunStatus.ERROR, True
        self.last_error = event.get("message")

    def _deliver(self, event: dict) -> None:
        """Track the event, then hand it to the next poll."""
        dispatch(self._tracking, event)
        self._events.put(event)

    def _end_unheard(self, status: RunStatus, message: str) -> None:
        """The run ended without its own last event: it failed or went away (`status` and
        `message` say which and why), or, when a stop was asked for, it stopped before it could
        save. Records the end in the store and delivers the last event."""
        if self._stop_requested:
            status, message = RunStatus.STOPPED, STOPPED_EARLY
        if self.workspace is not None and self.run_id is not None:
            error = None if status == RunStatus.STOPPED else message
            try:
                RunStore(self.workspace).finish_run(self.run_id, status, error=error)
            except (StoreError, sqlite3.Error):
                pass  # the store may be unreachable; the event still reaches the page
        if status == RunStatus.ERROR:
            event = make_event(EventKind.ERROR, message=message, step=None, epoch=None)
        else:
            event = make_event(EventKind.DONE, status=status, note=message, final=None)
        self._deliver(event)

    # -- the contract -----------------------------------------------------------------------
    def poll(self) -> list[dict]:
        """Every event since the last poll, oldest first; never blocks."""
        return drain(self._events)

    @property
    def drained(self) -> bool:
        """Whether every delivered event has been polled."""
        return self._events.empty()

    @property
    def alive(self) -> bool:
        """False once the last event is delivered (every event is queued before it turns False)."""
        return not self._finished.is_set()

    def wait(self, timeout: float | None = None) -> int | None:
        """0 once the run finished or stopped, 1 once it failed or was interrupted; None if it
        has not ended within `timeout` seconds."""
        if not self._finished.wait(timeout):
            return None
        return 0 if self.status.succeeded else 1

    @abstractmethod
    def pause(self) -> None: ...

    @abstractmethod
    def resume(self) -> None: ...

    @abstractmethod
    def stop(self, timeout: float = STOP_GRACE_S) -> None:
        """Ask the run to stop (it saves its weights); end it outright if it has not ended in
        `timeout` seconds. Returns once its last event is delivered."""


class Executor(Protocol):
    """Where runs train: records the run in the workspace's store (or starts `options.run_id`,
    recorded as queued) and returns its handle. The design is loaded and checked already."""

    def start(self, design, workspace, options) -> RunHandle: ...
