"""A real local Ray head on 127.0.0.1, in processes of its own, for the Ray tests and bench.

Started with `ray start --head --block` in a new session; its workers import this checkout's
`builder` (PYTHONPATH), as a cluster machine imports an installed netbuilder. Stopping it ends
exactly the processes of that session, and removes its temporary folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.waiting import WaitTimeout, wait_until

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90.0
PR_SET_PDEATHSIG = 1
_HEADS: dict[str, subprocess.Popen] = {}  # address -> the `ray start` process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_pids(sid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # field 6 of stat: the session id
            pids.append(int(entry.name))
    return pids


def kill_now(address: str) -> None:
    """SIGKILL every process of a running head at once: a cluster that dies."""
    for pid in _session_pids(_HEADS[address].pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the head's session, then SIGKILL whatever of that session is left."""
    sid = process.pid  # start_new_session: the head's pid is its session id
    for pid in _session_pids(sid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(WaitTimeout):  # a test cluster: no need to wait long for a tidy end
        wait_until(lambda: not _session_pids(sid), 3, every=0.2)
    for pid in _session_pids(sid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


def _end_with_parent() -> None:
    """In the head's process, before it starts: SIGTERM it when its parent dies, so a test run
    that is killed outright does not leave a cluster behind."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@contextlib.contextmanager
def local_head(cpus: int = 2):
    """Yield the head's address ("127.0.0.1:PORT"); the head is gone after the block."""
    port = free_port()
    temp = tempfile.mkdtemp(prefix="rayt", dir="/tmp")  # short: Ray's socket paths must be
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    command = [
        sys.executable,
        "-m",
        "ray.scripts.scripts",  # the `ray` command of this Python, wherever pip put its scripts
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--num-cpus={cpus}",
        "--num-gpus=0",
        "--include-dashboard=false",
        f"--dashboard-port={free_port()}",
        f"--port={port}",
        f"--ray-client-server-port={free_port()}",
        f"--temp-dir={temp}",
        "--disable-usage-stats",
    ]
    log = open(Path(temp) / "head.log", "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_end_with_parent,
    )
    try:
        try:
            up = wait_until(
                lambda: "exited" if process.poll() is not None else _reachable(port),
                START_TIMEOUT_S,
                every=0.2,
            )
        except WaitTimeout:
            up = "silent"
        if up is not True:
            raise RuntimeError(
                "the local Ray head did not start: "
                + (Path(temp) / "head.log").read_text(errors="replace")[-2000:]
            )
        address = f"127.0.0.1:{port}"
        _HEADS[address] = process
        yield address
    finally:
        _HEADS.pop(f"127.0.0.1:{port}", None)
        _stop(process)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)
