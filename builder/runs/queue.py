"""The server's fair run queue: when each run starts, so many people can share one machine.

At most `max_running` runs train at once (default: cores - 1, at least 1) and each person at
most `per_person` (default 1); further runs wait in the order they were asked for, and a run
whose person is at their limit lets the next person's run go first.  A waiting run is recorded
in the person's store as "queued" and owned by this process, so after a restart it reads back as
interrupted, never lost.

Whoever starts a run is the `starter`: by default `warm_worker.start_run`, which trains where
the run's options or $NETBUILDER_EXECUTOR say (a local worker process unless told otherwise).
A person is their workspace folder; runs are known by (folder, run id), since each person's run
ids count alone.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from builder.limits import EnvLimit
from builder.runs import warm_worker
from builder.runs.job import RunOptions
from builder.runs.protocol import RunStatus
from builder.runs.store import RunStore
from builder.training.control import error_message

MAX_RUNS_VAR = "NETBUILDER_MAX_RUNS"
PER_PERSON_VAR = "NETBUILDER_RUNS_PER_PERSON"

RunKey = tuple[str, int]
KEEP_ENDED = 200  # handles of ended runs kept for pages still reading their last events


# How many runs train at once: all cores but one, by default.
MAX_RUNS = EnvLimit(
    MAX_RUNS_VAR, lambda: max(1, (os.cpu_count() or 2) - 1), "runs", whole=True, refuse_bad=True
)
PER_PERSON = EnvLimit(PER_PERSON_VAR, 1, "runs", whole=True, refuse_bad=True)


def default_max_running() -> int:
    return MAX_RUNS.read()


def default_per_person() -> int:
    return PER_PERSON.read()


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 21st …"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass
class Waiting:
    key: RunKey
    design: object
    options: RunOptions = field(default_factory=RunOptions)


class RunQueue:
    """Runs waiting and training on this server; thread-safe (every page calls it)."""

    def __init__(
        self,
        max_running: int | None = None,
        per_person: int | None = None,
        starter: Callable | None = None,
    ):
        self.max_running = max_running or default_max_running()
        self.per_person = per_person or default_per_person()
        self._start = starter or warm_worker.start_run
        self._lock = threading.RLock()
        self._waiting: list[Waiting] = []
        self._handles: dict[RunKey, object] = {}
        self._training: set[RunKey] = set()

    # -- asking ------------------------------------------------------------------------------
    def submit(self, design, workspace, options: RunOptions | None = None) -> int:
        """Record a run of `design` as waiting and start it as soon as its turn comes;
        returns its id in the person's store.  `options` go to the starter."""
        options = options or RunOptions()
        run_id = RunStore(workspace).create_run(
            design, status=RunStatus.QUEUED, design_id=options.design_id
        )
        with self._lock:
            waiting = Waiting(self._key(workspace, run_id), design, replace(options, run_id=run_id))
            self._waiting.append(waiting)
            self._dispatch()
        return run_id

    def cancel(self, workspace, run_id: int) -> bool:
        """Take a waiting run out of the line (recorded as cancelled); False if it is not waiting."""
        key = self._key(workspace, run_id)
        with self._lock:
            found = next((w for w in self._waiting if w.key == key), None)
            if found is None:
                return False
            self._waiting.remove(found)
        RunStore(key[0]).finish_run(run_id, RunStatus.CANCELLED)
        return True

    # -- looking -----------------------------------------------------------------------------
    def place(self, workspace, run_id: int) -> int | None:
        """1 for the next run to start, 2 for the one after …; None if it is not waiting."""
        key = self._key(workspace, run_id)
        with self._lock:
            for index, waiting in enumerate(self._waiting):
                if waiting.key == key:
                    return index + 1
        return None

    def handle(self, workspace, run_id: int):
        """The handle of a run this server started (its events, pause, stop), or None."""
        with self._lock:
            return self._handles.get(self._key(workspace, run_id))

    def training(self, workspace=None) -> list[RunKey]:
        """Runs training now: all of them, or one person's."""
        with self._lock:
            keys = sorted(self._training)
        if workspace is None:
            return keys
        root = self._key(workspace, 0)[0]
        return [k for k in keys if k[0] == root]

    def waiting(self) -> list[RunKey]:
        with self._lock:
            return [w.key for w in self._waiting]

    # -- inside ------------------------------------------------------------------------------
    @staticmethod
    def _key(workspace, run_id: int) -> RunKey:
        """One spelling of a run for every call: the folder resolved (a relative path or a link
        names the same person as their resolved folder)."""
        return (str(Path(workspace).resolve()), int(run_id))

    def _dispatch(self) -> None:
        """Start waiting runs, oldest first, while there are free places (lock held)."""
        with self._lock:
            ended = [k for k in self._handles if k not in self._training]
            for key in ended[: max(0, len(ended) - KEEP_ENDED)]:  # oldest first
                del self._handles[key]
            while len(self._training) < self.max_running:
                busy = [k[0] for k in self._training]
                turn = next(
                    (w for w in self._waiting if busy.count(w.key[0]) < self.per_person), None
                )
                if turn is None:
                    return
                self._waiting.remove(turn)
                self._launch(turn)

    def _launch(self, turn: Waiting) -> None:
        root, run_id = turn.key
        try:
            handle = self._start(turn.design, root, turn.options)
        except Exception as exc:  # e.g. no process could be started: the run says why
            RunStore(root).finish_run(run_id, RunStatus.ERROR, error=error_message(exc))
            return
        self._handles[turn.key] = handle
        self._training.add(turn.key)
        threading.Thread(
            target=self._watch, args=(turn.key, handle), name=f"queue-{run_id}", daemon=True
        ).start()

    def _watch(self, key: RunKey, handle) -> None:
        handle.wait()
        with self._lock:
            self._training.discard(key)
            self._dispatch()
