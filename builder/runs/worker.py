"""Training in its own process, for the app: start a run, poll its events, pause/resume/stop it.

The parent starts `python -m builder.runs.worker` with a job on stdin (one JSON line), then sends
`pause` / `resume` / `stop` lines the same way; the child writes one JSON event per line on its
stdout and records the run in the workspace's SQLite store.  Closing the child's stdin stops it,
so an orphaned run does not train forever.  The design trains with its own train.py
(builder.training.runner), GANs included, or with a loop named as "module:function".

    handle = start_run(design, workspace)
    handle.poll()   # -> list of event dicts, never blocks
    handle.pause(); handle.resume(); handle.stop()

`start_run(..., executor="ray")` trains the same job on a Ray cluster instead (ray_executor);
`train_job` is the one training path of both.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import torch

from builder.data.uploads import uploads_dir
from builder.design.spec import load_design
from builder.runs.events import decode_event, drain, encode_event
from builder.runs.executor_env import EXECUTOR_ENV
from builder.runs.samples_file import SAMPLES_FILE, SamplesFile
from builder.runs.store import RunStore
from builder.training.control import LoopResult, RunControl, error_message, load_loop
from builder.training.runner import run_loop

_ACTIVE: dict = {}  # run id -> RunHandle, or an executor's handle
_LOCK = threading.Lock()
STOP_GRACE_S = 1.5


class RunHandle:
    """A training run in a child process; cheap to poll from a page's timer."""

    def __init__(self, run_id: int, process: subprocess.Popen, workspace: Path, out_dir: Path):
        self.run_id = run_id
        self.process = process
        self.workspace = workspace
        self.out_dir = out_dir
        self.status = "starting"
        self.last_error: str | None = None
        self._queue: queue.Queue = queue.Queue()
        self._ended = False
        self._stop_requested = False
        self._reader = threading.Thread(target=self._read, name=f"run-{run_id}-events", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = decode_event(line)
            except ValueError:
                continue
            self._track(event)
            self._queue.put(event)
        code = self.process.wait()
        if not self._ended:
            if self._stop_requested:  # ended by Stop before it could save (still starting up)
                status, message = "stopped", "stopped before its first saved weights"
                event = {"type": "done", "status": "stopped", "note": message}
            else:
                status = "error"
                message = f"the training process ended unexpectedly (exit code {code})"
                tail = _tail(self.out_dir / "log.txt")
                if tail:
                    message += f": {tail}"
                event = {"type": "error", "message": message, "step": None, "epoch": None}
            try:
                RunStore(self.workspace).finish_run(
                    self.run_id, status, error=message if status == "error" else None
                )
            except Exception:  # the store may be unreachable; the event still reaches the page
                pass
            self._track(event)
            self._queue.put(event)

    def _track(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "start":
            self.status = "running"
        elif kind == "status":
            self.status = event.get("status", self.status)
        elif kind == "done":
            self.status, self._ended = event.get("status", "finished"), True
        elif kind == "error":
            self.status, self._ended = "error", True
            self.last_error = event.get("message")

    def poll(self) -> list[dict]:
        """Every event since the last poll, oldest first."""
        return drain(self._queue)

    def _send(self, command: str) -> bool:
        try:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def pause(self) -> None:
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def stop(self, timeout: float = STOP_GRACE_S) -> None:
        """Ask the run to stop (it saves its weights); kill it if it has not ended in `timeout`
        (a process still starting up, importing torch, reads no command before it trains)."""
        self._stop_requested = True
        self._send("stop")
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self._reader.join(2.0)

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._reader.join(timeout)
        return code

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


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


def start_run(
    design,
    workspace=None,
    *,
    epochs: int | None = None,
    seed: int | None = None,
    loop: str | None = None,
    step_every: int = 10,
    threads: int | None = None,
    process: subprocess.Popen | None = None,
    initial_weights: str | Path | None = None,
    run_id: int | None = None,
    design_id: str | None = None,
    executor=None,
):
    """Record a run in the workspace's store and start training it; returns its handle.

    `run_id`: a run already recorded as queued (builder.runs.queue), which starts now;
    `design_id`: the design document a new record belongs to.
    `executor`: where it trains: "local" (a child process of this one, the default), "ray"
    (an actor on the Ray cluster at $NETBUILDER_RAY_ADDRESS, builder.runs.ray_executor), or an
    object with that `start` method; None reads $NETBUILDER_EXECUTOR (default "local").
    `threads`: torch threads in the child; default all cores but one, which is left to the page.
    `process`: a worker started ahead of time and waiting for its job (builder.runs.warm_worker).
    """
    design = load_design(design)
    chosen = executor or os.environ.get(EXECUTOR_ENV) or "local"
    if chosen != "local":
        if process is not None:
            process.stdin.close()  # the spare local worker is not needed: it exits
        if chosen == "ray":
            chosen = ray_executor()
        if not hasattr(chosen, "start"):
            raise ValueError(f'executor must be "local", "ray" or an executor, got {chosen!r}')
        options = {"epochs": epochs, "seed": seed, "loop": loop, "step_every": step_every}
        handle = chosen.start(
            design,
            workspace,
            threads=threads,
            initial_weights=initial_weights,
            run_id=run_id,
            design_id=design_id,
            **options,
        )
        return _keep_handle(handle)
    store = RunStore(workspace)
    if run_id is None:
        run_id = store.create_run(design, design_id=design_id)
    out_dir = store.run_dir(run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    job = {
        "design": design.to_dict(),
        "workspace": str(store.root),
        "run_id": run_id,
        "out_dir": str(out_dir),
        "epochs": epochs,
        "seed": seed,
        "loop": loop,
        "step_every": step_every,
        "threads": threads or max(1, (os.cpu_count() or 2) - 1),
        "data_root": str(uploads_dir(store.root)),  # the app reads only the person's uploads
        "initial_weights": None if initial_weights is None else str(initial_weights),
    }
    if process is None:
        process = spawn_worker(out_dir / "log.txt")
    store.mark_started(run_id, process.pid)
    handle = RunHandle(run_id, process, store.root, out_dir)
    handle._send(encode_event(job))
    return _keep_handle(handle)


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


def _keep_handle(handle):
    """Remember a started run's handle (get_handle), forgetting ended ones already drained."""
    with _LOCK:
        for old in [k for k, h in _ACTIVE.items() if not h.alive and h._queue.empty()]:
            _ACTIVE.pop(old, None)
        _ACTIVE[handle.run_id] = handle
    return handle


def get_handle(run_id: int) -> RunHandle | None:
    """The handle of a run started by this process (e.g. after the page was refreshed)."""
    with _LOCK:
        return _ACTIVE.get(run_id)


def active_runs() -> list[RunHandle]:
    with _LOCK:
        return [h for h in _ACTIVE.values() if h.alive]


def _child_main() -> int:
    """Inside the child: read the job, train, write events to stdout, obey stdin commands."""
    events_out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    sys.stdout = sys.stderr  # stray prints must not corrupt the event stream
    first = sys.stdin.readline()
    if not first.strip():
        return 2
    job = decode_event(first)
    lock = threading.Lock()

    def send(event: dict) -> None:
        line = encode_event(event)
        with lock:
            try:
                events_out.write(line + "\n")
            except (BrokenPipeError, OSError):
                control.stop("interrupted")  # nobody is listening any more

    store = RunStore(job["workspace"])
    control = RunControl(
        [store.sink(int(job["run_id"])), send], step_every=job.get("step_every") or 10
    )
    control.add_sink(SamplesFile(Path(job["out_dir"]) / SAMPLES_FILE))  # a GAN's, at its end

    def listen() -> None:
        for line in sys.stdin:
            command = line.strip()
            if command == "pause":
                control.pause()
            elif command == "resume":
                control.resume()
            elif command == "stop":
                control.stop()
        # The page server went away (a restart, a crash): the run ends with what it trained
        # and reads back as interrupted, its finished epochs and saved weights kept.
        control.stop("interrupted")

    threading.Thread(target=listen, name="commands", daemon=True).start()
    result = train_job(job, control)
    events_out.flush()
    sys.stderr.flush()
    os._exit(0 if result is not None else 1)  # skip interpreter teardown: stop answers sooner


def train_job(job: dict, control: RunControl) -> LoopResult | None:
    """The one training path of every executor (this module's child process, a Ray actor):
    train the job's design into job["out_dir"], every event through `control`'s sinks, ending
    with one `done` or `error` event. Never raises; None when the run failed."""
    if job.get("threads"):
        torch.set_num_threads(int(job["threads"]))
    try:
        design = load_design(job["design"])
        loop = load_loop(job["loop"]) if job.get("loop") else None
    except Exception as exc:  # a bad job still ends with one error event
        control.emit("error", message=error_message(exc), step=None, epoch=None)
        return None
    return run_loop(
        loop,
        design,
        control,
        out_dir=job["out_dir"],
        epochs=job.get("epochs"),
        seed=job.get("seed"),
        **_train_options(job),
    )


def _train_options(job: dict) -> dict:
    """What the design's own training takes from the job (a custom loop takes none of it)."""
    if job.get("loop"):
        return {}
    options = {"data_root": job.get("data_root")}
    if job.get("initial_weights"):
        options["initial_weights"] = job["initial_weights"]
    if job.get("device"):
        options["device"] = job["device"]
    return options


if __name__ == "__main__":
    sys.exit(_child_main())
