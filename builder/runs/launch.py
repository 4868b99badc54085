"""Starting a run: the one place where the executor is chosen and the design is checked.

    handle = start_run(design, workspace, RunOptions(epochs=3))
    handle.poll()   # -> list of event dicts, never blocks
    handle.pause(); handle.resume(); handle.stop()

Every executor takes the design loaded once here, the same `RunOptions`, and returns a handle
of the one contract (builder.runs.handle): "local" trains in a child process of this one
(builder.runs.worker), "ray" as an actor on the Ray cluster at $NETBUILDER_RAY_ADDRESS
(builder.runs.ray_executor), and any object with that `start` method trains where it says.
"""

from __future__ import annotations

import os
import threading

from builder.design.spec import load_design
from builder.runs.executor_env import EXECUTOR_ENV
from builder.runs.handle import Executor, RunHandle
from builder.runs.job import RunOptions
from builder.runs.worker import LocalExecutor

_ACTIVE: dict[int, RunHandle] = {}  # run id -> the handle of a run this process started
_LOCK = threading.Lock()


def executor_for(choice=None) -> Executor:
    """ "local", "ray" or an executor; None reads $NETBUILDER_EXECUTOR (default "local")."""
    chosen = choice or os.environ.get(EXECUTOR_ENV) or "local"
    if chosen == "local":
        return LocalExecutor()
    if chosen == "ray":
        return ray_executor()
    if not hasattr(chosen, "start"):
        raise ValueError(f'executor must be "local", "ray" or an executor, got {chosen!r}')
    return chosen


def ray_executor(address: str | None = None):
    """A builder.runs.ray_executor.RayExecutor; ImportError saying what to install without Ray."""
    try:
        from builder.runs import ray_executor as ray_runs  # deferred on purpose: ray is optional
    except ModuleNotFoundError as exc:
        if exc.name != "ray":
            raise
        raise ImportError(
            'training on a Ray cluster needs Ray here: pip install "netbuilder[ray]"'
        ) from None
    return ray_runs.RayExecutor(address)


def start_run(design, workspace=None, options: RunOptions | None = None) -> RunHandle:
    """Record a run of `design` in the workspace's store and start training it where
    `options.executor` says; returns its handle. The design is loaded and checked here, once
    (DesignError names what is wrong)."""
    design = load_design(design)
    options = options or RunOptions()
    handle = executor_for(options.executor).start(design, workspace, options)
    with _LOCK:  # remember it (get_handle), forgetting ended ones already drained
        for old in [k for k, h in _ACTIVE.items() if not h.alive and h.drained]:
            _ACTIVE.pop(old, None)
        _ACTIVE[handle.run_id] = handle
    return handle


def get_handle(run_id: int) -> RunHandle | None:
    """The handle of a run started by this process (e.g. after the page was refreshed)."""
    with _LOCK:
        return _ACTIVE.get(run_id)
