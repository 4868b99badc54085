"""A training process started ahead of time, so the first loss shows moments after Train.

Starting a worker costs seconds before its first step: Python, then torch and the training
modules.  `prestart()` starts one spare `python -m builder.runs.warm_worker`, which imports all of
that (builder.runs.worker brings the whole training path) and then waits, in
`builder.runs.worker`'s own child loop, for its job; `start_run()` hands the job to the spare
when there is a live one and the run trains locally, and otherwise starts as usual.  A spare whose
parent goes away sees its stdin close and exits, so none is ever left behind.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import torch

from builder.runs import launch, worker
from builder.runs.job import RunOptions

_SPARE: subprocess.Popen | None = None
_LOCK = threading.Lock()
LOG_NAME = "spare-worker.log"


def private_folder() -> Path:
    """This user's own folder in the temporary directory (0700), for the spare's log.

    The temporary directory is shared by every user of the machine: a log opened there by a
    well-known name would follow a link another user planted and overwrite whatever it points
    at.  A folder only this user can enter holds no one else's links; one that exists but is not
    exactly that (a link, someone else's, open to others) is never used: a fresh one is made."""
    folder = Path(tempfile.gettempdir()) / f"netbuilder-{os.getuid()}"
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    found = os.lstat(folder)
    if (
        stat.S_ISDIR(found.st_mode)
        and found.st_uid == os.getuid()
        and stat.S_IMODE(found.st_mode) & 0o077 == 0
    ):
        return folder
    return Path(tempfile.mkdtemp(prefix="netbuilder-"))


def log_path() -> Path:
    """The spare's log, created private (0600) and never through a link."""
    path = private_folder() / LOG_NAME
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    try:
        os.close(os.open(path, flags, 0o600))
    except OSError:  # a link in this user's own folder: remove the link, never its target
        path.unlink()
        os.close(os.open(path, flags | os.O_EXCL, 0o600))
    return path


def prestart() -> None:
    """Start the spare worker unless one is already waiting."""
    global _SPARE
    with _LOCK:
        if _SPARE is not None and _SPARE.poll() is None:
            return
        _SPARE = worker.spawn_worker(log_path(), module="builder.runs.warm_worker")


def take() -> subprocess.Popen | None:
    """The waiting spare (now the caller's), or None when there is none alive."""
    global _SPARE
    with _LOCK:
        spare, _SPARE = _SPARE, None
    if spare is not None and spare.poll() is None:
        return spare
    return None


def start_run(design, workspace=None, options: RunOptions | None = None):
    """`builder.runs.launch.start_run`, on the spare worker when one is waiting."""
    options = options or RunOptions()
    executor, spare = launch.executor_for(options.executor), take()
    if spare is not None:
        if type(executor) is worker.LocalExecutor and executor.process is None:
            executor = worker.LocalExecutor(spare)
        else:
            spare.stdin.close()  # not needed: it exits
    return launch.start_run(design, workspace, replace(options, executor=executor))


def stop_spare() -> None:
    """End the spare (closing its stdin makes it exit)."""
    spare = take()
    if spare is not None:
        spare.stdin.close()
        try:
            spare.wait(10)
        except subprocess.TimeoutExpired:  # still importing torch on a busy machine: no job lost
            spare.kill()
            spare.wait(10)


def _warm_up() -> None:
    """Everything slow that every run does once, done before the job arrives."""
    # The first optimizer imports torch._dynamo (seconds); a first backward pass sets up autograd.
    weight = torch.zeros(4, 4, requires_grad=True)
    optimizer = torch.optim.Adam([weight], lr=1e-3)
    torch.nn.functional.conv2d(torch.ones(1, 1, 6, 6), weight[None, None]).sum().backward()
    optimizer.step()


def _warm_main() -> int:
    _warm_up()
    return worker._child_main()


if __name__ == "__main__":
    sys.exit(_warm_main())
