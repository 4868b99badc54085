"""The runs this server started and the run each page watches.

Training runs in its own process (`builder.runs.worker`); this module keeps, for the whole server,
one `RunView` per run that every page reads, fed from the worker's events whenever a page's
timer asks (`refresh`).  A run started before a restart is rebuilt from the SQLite store.
"""

from __future__ import annotations

import threading
import time

import streamlit as st

from builder.runs.live import ENDED, RunView, Snapshot
from builder.runs.store import RunStore
from builder.runs.warm_worker import prestart, start_run
from builder.runs.worker import get_handle
from builder.runs.workspace import workspace_dir

WATCHED = "nb_watched_run"
PAUSED = "nb_paused_runs"  # run id -> time.monotonic() when this page paused it
STEP_EVERY = 5

_VIEWS: dict[tuple[str, int], RunView] = {}
_LOCK = threading.Lock()


_STORES: dict[str, RunStore] = {}


def store() -> RunStore:
    """The workspace's run store (opened once: the page asks for it twice a second)."""
    root = str(workspace_dir().resolve())
    found = _STORES.get(root)
    if found is None or not found.path.exists():
        found = _STORES[root] = RunStore(root)
    return found


def _key(run_id: int) -> tuple[str, int]:
    return (str(workspace_dir().resolve()), int(run_id))


def start(design, initial_weights=None) -> int:
    """Start training a frozen copy of `design` in its own process; the page watches it.
    `initial_weights` (a state_dict file) is where it starts, e.g. an imported model's."""
    handle = start_run(
        design, workspace_dir(), step_every=STEP_EVERY, initial_weights=initial_weights
    )
    with _LOCK:
        _VIEWS[_key(handle.run_id)] = RunView(handle.run_id)
    st.session_state[WATCHED] = handle.run_id
    st.session_state.setdefault(PAUSED, {}).pop(handle.run_id, None)
    return handle.run_id


def _in_server() -> bool:
    from streamlit import runtime

    return runtime.exists()


def get_ready() -> None:
    """Have a training process waiting, so Train answers at once (none while one trains)."""
    try:
        prestart()
    except OSError:  # no spare: Train starts a process itself, a little slower
        pass


def watched() -> int | None:
    """The run this page shows: the one it started or picked, else the newest recorded run."""
    run_id = st.session_state.get(WATCHED)
    if run_id is not None and store().get_run(run_id) is not None:
        return run_id
    runs = store().list_runs(limit=1)
    run_id = runs[0]["id"] if runs else None
    st.session_state[WATCHED] = run_id
    return run_id


def watch(run_id: int | None) -> None:
    st.session_state[WATCHED] = run_id


def view(run_id: int) -> RunView | None:
    """The server-wide view of a run (from the store when this server did not start it)."""
    key = _key(run_id)
    with _LOCK:
        found = _VIEWS.get(key)
    if found is not None:
        return found
    run = store().get_run(run_id)
    if run is None:
        return None
    built = RunView.from_store(run, store().metrics(run_id))
    with _LOCK:
        return _VIEWS.setdefault(key, built)


def refresh(run_id: int) -> Snapshot | None:
    """Take the worker's new events into the run's view; a consistent copy of it."""
    current = view(run_id)
    if current is None:
        return None
    handle = get_handle(run_id)
    if handle is not None:
        current.add(handle.poll())
    elif current.status not in ENDED:  # not ours: the store knows how it stands
        run = store().get_run(run_id)
        if run is not None and run["status"] != "running":
            fresh = RunView.from_store(run, store().metrics(run_id))
            with _LOCK:
                _VIEWS[_key(run_id)] = fresh
            current = fresh
    return current.snapshot()


def is_active(run_id: int | None) -> bool:
    """Whether the run is still training (or starting) in a process of this server."""
    if run_id is None:
        return False
    handle = get_handle(run_id)
    if handle is not None:
        current = view(run_id)
        return handle.alive or (current is not None and current.status not in ENDED)
    return False


def is_paused(run_id: int | None) -> bool:
    """Paused by this page, or (after a refresh of the page) as the run itself reported."""
    if run_id is None:
        return False
    current = view(run_id) if get_handle(run_id) is not None else None
    reported = current is not None and current.status == "paused"
    return run_id in st.session_state.get(PAUSED, {}) or reported


def seconds_paused(run_id: int | None) -> float | None:
    """How long ago this page paused the run (None if it did not, or the run is not paused)."""
    paused_at = st.session_state.get(PAUSED, {}).get(run_id)
    return None if paused_at is None else time.monotonic() - paused_at


def _set_status(run_id: int, status: str) -> None:
    current = view(run_id)
    if current is not None:  # shown at once; the worker confirms with its own status event
        current.add([{"type": "status", "status": status}])


def pause(run_id: int) -> None:
    handle = get_handle(run_id)
    if handle is not None:
        handle.pause()
        st.session_state.setdefault(PAUSED, {})[run_id] = time.monotonic()
        _set_status(run_id, "paused")


def resume(run_id: int) -> None:
    handle = get_handle(run_id)
    if handle is not None:
        handle.resume()
        _set_status(run_id, "running")
    st.session_state.setdefault(PAUSED, {}).pop(run_id, None)


def stop(run_id: int) -> None:
    """Stop the run (its weights so far are saved); returns once the process has ended."""
    handle = get_handle(run_id)
    if handle is not None:
        handle.stop()
        current = view(run_id)
        if current is not None:
            current.add(handle.poll())
    st.session_state.setdefault(PAUSED, {}).pop(run_id, None)


def forget(run_id: int) -> None:
    with _LOCK:
        _VIEWS.pop(_key(run_id), None)
    if st.session_state.get(WATCHED) == run_id:
        st.session_state[WATCHED] = None


if _in_server():  # the app is starting: have a training process ready before anyone asks
    get_ready()
