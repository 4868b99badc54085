"""The runs this server trains or holds in line, and the run each page watches.

Training runs in its own process (`builder.runs.worker`); when it starts is the server's fair
queue's to decide (`builder.runs.queue`: so many runs at once, each person so many).  This
module keeps, for the whole server, one `RunView` per run that every page reads, fed from the
worker's events whenever a page's timer asks (`refresh`).  Runs are the person's: every lookup
goes through their folder, and a run started before a restart is rebuilt from their store.
The server-wide objects (the queue, the views, the stores) are Streamlit resources, made on
first use: importing this module starts nothing.
"""

from __future__ import annotations

import os
import threading
import time

import streamlit as st

from builder.runs.executor_env import EXECUTOR_ENV
from builder.runs.job import RunOptions
from builder.runs.live import RunView, Snapshot
from builder.runs.protocol import EventKind, RunStatus, make_event
from builder.runs.queue import RunQueue
from builder.runs.store import RunStore
from builder.runs.warm_worker import prestart
from components import person

WATCHED = "nb_watched_run"
WATCHED_FOR = "nb_watched_for"  # the design document the watched run was picked for
STEP_EVERY = 5
OPEN_STORES = 64  # people whose run store stays open; the least recently asked for closes


class RunViews:
    """The server's views of runs, by (person's folder, run id), and when a page paused each
    paused run (a run's pause state is its view's status: held once, for every page)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.views: dict[tuple[str, int], RunView] = {}
        self.paused_at: dict[tuple[str, int], float] = {}


@st.cache_resource(show_spinner=False)
def run_queue() -> RunQueue:
    """The server's one queue (made on first use, with the limits of the environment)."""
    return RunQueue()


@st.cache_resource(show_spinner=False)
def _views() -> RunViews:
    return RunViews()


@st.cache_resource(
    max_entries=OPEN_STORES, show_spinner=False, validate=lambda found: found.path.exists()
)
def _store(root: str) -> RunStore:
    return RunStore(root)


def store() -> RunStore:
    """The person's run store (opened once, and again if its file went away: the page asks for
    it twice a second)."""
    return _store(str(person.folder()))


def _key(run_id: int) -> tuple[str, int]:
    return (str(person.folder()), int(run_id))


def start(design, design_id: str | None = None, initial_weights=None) -> int:
    """Ask for a run of a frozen copy of `design`: it trains in its own process as soon as the
    queue allows; the page watches it.  `initial_weights` (a state_dict file) is where it
    starts, e.g. an imported model's."""
    options = RunOptions(
        step_every=STEP_EVERY, initial_weights=initial_weights, design_id=design_id
    )
    run_id = run_queue().submit(design, person.folder(), options)
    view_of_it = RunView(run_id)
    if place(run_id) is not None:
        view_of_it.status = RunStatus.QUEUED  # the worker's first event makes it "running"
    runs = _views()
    with runs.lock:
        runs.views.setdefault(_key(run_id), view_of_it)
    st.session_state[WATCHED] = run_id
    return run_id


def get_handle(run_id: int):
    """The worker of a run this server started, or None."""
    return run_queue().handle(person.folder(), run_id)


def place(run_id: int | None) -> int | None:
    """Where a waiting run stands in line (1 = next), or None when it is not waiting."""
    return None if run_id is None else run_queue().place(person.folder(), run_id)


def get_ready() -> None:
    """Have a training process waiting, so Train answers at once (none while one trains, and
    none when runs train on a Ray cluster)."""
    if os.environ.get(EXECUTOR_ENV, "local") != "local":
        return
    try:
        prestart()
    except OSError:  # no spare: Train starts a process itself, a little slower
        pass


@st.cache_resource(show_spinner=False)
def ready_at_start() -> bool:
    """Once per server, at its first page (never at import): a training process waits before
    anyone asks."""
    get_ready()
    return True


def watched(design_id: str | None = None) -> int | None:
    """The run this page shows: the one it started or picked, else the newest run of the open
    design (`design_id`; by default the one the page last asked for).  Only that design's runs:
    a design with none shows none, never another design's.  Opening another design forgets
    the pick."""
    if design_id is not None and st.session_state.get(WATCHED_FOR) != design_id:
        st.session_state[WATCHED_FOR] = design_id
        st.session_state[WATCHED] = None
    design_id = st.session_state.get(WATCHED_FOR)
    run_id = st.session_state.get(WATCHED)
    if run_id is not None:
        run = store().get_run(run_id)
        if run is not None and run.get("design_id") == design_id:
            return run_id
    runs = store().list_runs(limit=1, design_id=design_id) if design_id else []
    run_id = runs[0]["id"] if runs else None
    st.session_state[WATCHED] = run_id
    return run_id


def watch(run_id: int | None) -> None:
    st.session_state[WATCHED] = run_id


def view(run_id: int) -> RunView | None:
    """The server-wide view of a run (from the store when this server did not start it)."""
    key, runs = _key(run_id), _views()
    with runs.lock:
        found = runs.views.get(key)
    if found is not None:
        return found
    run = store().get_run(run_id)
    if run is None:
        return None
    built = RunView.from_store(run, store().metrics(run_id))
    with runs.lock:
        return runs.views.setdefault(key, built)


def refresh(run_id: int) -> Snapshot | None:
    """Take the worker's new events into the run's view; a consistent copy of it."""
    current = view(run_id)
    if current is None:
        return None
    handle = get_handle(run_id)
    if handle is not None:
        current.add(handle.poll())
    elif place(run_id) is not None:
        pass  # waiting in line: nothing happens until it starts
    elif not current.status.ended:  # not ours: the store knows how it stands
        run = store().get_run(run_id)
        if run is not None and run["status"] != RunStatus.RUNNING:
            fresh = RunView.from_store(run, store().metrics(run_id))
            runs = _views()
            with runs.lock:
                runs.views[_key(run_id)] = fresh
            current = fresh
    return current.snapshot()


def is_active(run_id: int | None) -> bool:
    """Whether the run waits in line or trains (or starts) in a process of this server."""
    if run_id is None:
        return False
    if place(run_id) is not None:
        return True
    handle = get_handle(run_id)
    if handle is not None:
        current = view(run_id)
        return handle.alive or (current is not None and not current.status.ended)
    return False


def is_paused(run_id: int | None) -> bool:
    """Whether a run of this server is paused: its view's status says (set at once when a page
    pauses it, and confirmed by the run)."""
    if run_id is None or get_handle(run_id) is None:
        return False
    current = view(run_id)
    return current is not None and current.status == RunStatus.PAUSED


def seconds_paused(run_id: int | None) -> float | None:
    """How long ago a page paused the run (None when it is not paused, or no page paused it)."""
    if not is_paused(run_id):
        return None
    paused_at = _views().paused_at.get(_key(run_id))
    return None if paused_at is None else time.monotonic() - paused_at


def _set_status(run_id: int, status: RunStatus) -> None:
    current = view(run_id)
    if current is not None:  # shown at once; the worker confirms with its own status event
        current.add([make_event(EventKind.STATUS, status=status)])


def pause(run_id: int) -> None:
    handle = get_handle(run_id)
    if handle is not None:
        handle.pause()
        _views().paused_at[_key(run_id)] = time.monotonic()
        _set_status(run_id, RunStatus.PAUSED)


def resume(run_id: int) -> None:
    handle = get_handle(run_id)
    if handle is not None:
        handle.resume()
        _set_status(run_id, RunStatus.RUNNING)
    _views().paused_at.pop(_key(run_id), None)


def stop(run_id: int) -> None:
    """Stop the run (its weights so far are saved; a waiting run leaves the line); returns once
    the process has ended."""
    if run_queue().cancel(person.folder(), run_id):
        current = view(run_id)
        if current is not None:
            current.add([make_event(EventKind.DONE, status=RunStatus.CANCELLED)])
        return
    handle = get_handle(run_id)
    if handle is not None:
        handle.stop()
        current = view(run_id)
        if current is not None:
            current.add(handle.poll())
    _views().paused_at.pop(_key(run_id), None)


def forget(run_id: int) -> None:
    runs = _views()
    with runs.lock:
        runs.views.pop(_key(run_id), None)
        runs.paused_at.pop(_key(run_id), None)
    if st.session_state.get(WATCHED) == run_id:
        st.session_state[WATCHED] = None
