"""Training in its own process, for the app: the local executor.

The parent starts `python -m builder.runs.worker` with the job on stdin (one JSON line), then
sends `pause` / `resume` / `stop` lines the same way; the child writes one JSON event per line on
its stdout and records the run in the workspace's SQLite store.  Closing the child's stdin stops
it, so an orphaned run does not train forever.  The child trains the job with
`builder.runs.job.train_job`, the path of every executor.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from builder.runs.handle import STOP_GRACE_S, RunHandle
from builder.runs.job import Job, RunOptions, default_threads, recorded_job, train_job
from builder.runs.protocol import Command, RunStatus, decode_event, encode_event, from_line, to_line
from builder.runs.samples_file import SAMPLES_FILE, SamplesFile
from builder.runs.store import RunStore
from builder.training.control import RunControl


class ProcessRunHandle(RunHandle):
    """A training run in a child process; cheap to poll from a page's timer."""

    def __init__(self, run_id: int, process: subprocess.Popen, workspace: Path, out_dir: Path):
        super().__init__(run_id, out_dir, workspace)
        self.process = process
        self._reader = threading.Thread(target=self._read, name=f"run-{run_id}-events", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for line in self.process.stdout:
                line = line.strip()
                if not line:
                    continue
                try:
                    event = decode_event(line)
                except ValueError:  # not an event: a stray line
                    continue
                self._deliver(event)
            code = self.process.wait()
            if not self._ended:
                message = f"the training process ended unexpectedly (exit code {code})"
                tail = _tail(self.out_dir / "log.txt")
                self._end_unheard(RunStatus.ERROR, f"{message}: {tail}" if tail else message)
        finally:
            self._finished.set()

    def _send(self, line: str) -> bool:
        try:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def pause(self) -> None:
        self._send(Command.PAUSE)

    def resume(self) -> None:
        self._send(Command.RESUME)

    def stop(self, timeout: float = STOP_GRACE_S) -> None:
        """Ask the run to stop (it saves its weights); kill it if it has not ended in `timeout`
        (a process still starting up, importing torch, reads no command before it trains)."""
        self._stop_requested = True
        self._send(Command.STOP)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self._finished.wait(5.0)


def _tail(path: Path, chars: int = 400) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return text[-chars:]


def spawn_worker(log_path, module: str = "builder.runs.worker") -> subprocess.Popen:
    """A worker process: its job and commands on stdin, events on stdout, stderr to `log_path`."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            bufsize=1,
            env=env,
        )


class LocalExecutor:
    """Runs in child processes of this one. `process`: a worker started ahead of time and
    waiting for its job (builder.runs.warm_worker), used for the next run."""

    def __init__(self, process: subprocess.Popen | None = None):
        self.process = process

    def start(self, design, workspace, options: RunOptions) -> ProcessRunHandle:
        threads = options.threads or default_threads()
        store, job = recorded_job(design, workspace, options, threads=threads, records_itself=True)
        out_dir = Path(job.out_dir)
        process, self.process = self.process or spawn_worker(out_dir / "log.txt"), None
        store.mark_started(job.run_id, process.pid)
        handle = ProcessRunHandle(job.run_id, process, store.root, out_dir)
        handle._send(to_line(job.to_wire()))
        return handle


def _child_main() -> int:
    """Inside the child: read the job, train, write events to stdout, obey stdin commands."""
    events_out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    sys.stdout = sys.stderr  # stray prints must not corrupt the event stream
    first = sys.stdin.readline()
    if not first.strip():
        return 2
    job = Job.from_wire(from_line(first))
    lock = threading.Lock()

    def send(event: dict) -> None:
        line = encode_event(event)
        with lock:
            try:
                events_out.write(line + "\n")
            except (BrokenPipeError, OSError):
                control.stop(RunStatus.INTERRUPTED)  # nobody is listening any more

    store = RunStore(job.workspace)
    control = RunControl([store.sink(int(job.run_id)), send], step_every=job.step_every or 10)
    control.add_sink(SamplesFile(Path(job.out_dir) / SAMPLES_FILE))

    def listen() -> None:
        for line in sys.stdin:
            try:
                control.obey(line.strip())
            except ValueError:
                continue  # not a command: ignored, as a stray line on the event stream is
        # The page server went away (a restart, a crash): the run ends with what it trained
        # and reads back as interrupted, its finished epochs and saved weights kept.
        control.stop(RunStatus.INTERRUPTED)

    threading.Thread(target=listen, name="commands", daemon=True).start()
    result = train_job(job, control)
    events_out.flush()
    sys.stderr.flush()
    os._exit(0 if result is not None else 1)  # skip interpreter teardown: stop answers sooner


if __name__ == "__main__":
    sys.exit(_child_main())
