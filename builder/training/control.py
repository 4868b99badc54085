"""Run control shared by every training loop: pause/resume/stop, events, and the run wrapper.

A loop is a function `loop(design, control, *, epochs=None, seed=None, device=None) -> LoopResult`
that knows nothing of the UI.  It calls `control.checkpoint()` once per step (it blocks while
paused and returns False once the run must stop), `control.emit(type, **fields)` for its `start`,
`step`, `epoch` (and for a GAN `samples`) events, and raises `TrainingError` for a failed run
(`nan_error` builds the message for a non-finite loss).  `run_loop` adds the `done` / `error`
event, saves the weights, and turns any exception into an `error` event: a loop never has to.

Events are plain dicts with a "type" key; a sink is any callable taking one event (a queue's
`put`, a file writer, the run store).  `encode_event`/`decode_event` carry events, numpy arrays
included, as one line of JSON between processes.
"""

from __future__ import annotations

import base64
import importlib
import json
import math
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Which loop trains a task: "module:function", imported on first use.
LOOPS = {
    "classification": "builder.training.supervised:train_loop",
    "regression": "builder.training.supervised:train_loop",
    "forecasting": "builder.training.supervised:train_loop",
    "gan": "builder.training.gan:train_gan",
}
CHECKPOINT_EVERY_S = 5.0  # how often a run's weights so far are saved while it trains


class TrainingError(Exception):
    """A run that cannot go on; the message says why and what to change."""

    def __init__(self, message: str, step: int | None = None, epoch: int | None = None):
        super().__init__(message)
        self.step = step
        self.epoch = epoch


def nan_error(value: float, step: int, epoch: int, lr: float | None, what: str = "loss"):
    """The error for a non-finite loss, naming the step and suggesting a lower learning rate."""
    kind = "NaN" if math.isnan(value) else "infinite"
    hint = (
        f"lower the learning rate (now {lr:g}; try {lr / 10:g})"
        if lr
        else "lower the learning rate"
    )
    return TrainingError(
        f"the {what} became {kind} at step {step} (epoch {epoch}): training diverged; {hint}",
        step=step,
        epoch=epoch,
    )


@dataclass
class LoopResult:
    """What a finished (or stopped) loop hands back: final metrics and the weights to save."""

    final: dict
    weights: dict = field(default_factory=dict)


class RunControl:
    """Pause/resume/stop flags set by any thread, and the event fan-out the loop emits through."""

    def __init__(self, sinks: list[Callable[[dict], None]] | tuple = (), step_every: int = 10):
        self._sinks = list(sinks)
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self.step_every = max(1, int(step_every))
        self._weight_saver: Callable[[Callable[[], dict]], None] | None = None

    def add_sink(self, sink: Callable[[dict], None]) -> None:
        self._sinks.append(sink)

    def emit(self, type: str, **fields) -> None:
        event = {"type": type, **fields}
        for sink in self._sinks:
            sink(event)

    def keep_weights_with(self, saver: Callable[[Callable[[], dict]], None] | None) -> None:
        """Have `epoch_weights` hand the weights to `saver` (see `periodic_saver`)."""
        self._weight_saver = saver

    def epoch_weights(self, weights: Callable[[], dict]) -> None:
        """Call at the end of each epoch with a function returning the weights so far: the run
        keeps them now and then, so the page can look inside the model while it trains."""
        if self._weight_saver is not None:
            self._weight_saver(weights)

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def checkpoint(self) -> bool:
        """Call once per step: blocks while paused; False once the run should stop."""
        if not self._running.is_set() and not self._stop.is_set():
            self.emit("status", status="paused")
            self._running.wait()
            if not self._stop.is_set():
                self.emit("status", status="running")
        return not self._stop.is_set()


def resolve_loop(task: str) -> Callable:
    """The loop that trains `task` (see LOOPS)."""
    target = LOOPS.get(task)
    if target is None:
        raise TrainingError(f"no training loop for task {task!r}; tasks: {', '.join(LOOPS)}")
    return load_loop(target, f"training for task {task!r}")


def load_loop(target: str, what: str = "the training loop") -> Callable:
    """A loop named "module:function", imported now."""
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        raise TrainingError(f"{what} is not available ({target})") from None


def save_weights(weights: dict, path: Path) -> Path:
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(weights, tmp)
    tmp.replace(path)
    return path


def periodic_saver(
    control: RunControl, path: Path, every_s: float = CHECKPOINT_EVERY_S, max_share: float = 0.05
):
    """A weight saver for `RunControl.keep_weights_with`: writes the weights to `path` at the
    first epoch's end, then again after `every_s` seconds, or longer when saving is slow (a
    large model): saves take at most `max_share` of the run's time. Each save emits a
    `checkpoint` event naming the file."""
    next_at: float | None = None

    def save(weights: Callable[[], dict]) -> None:
        nonlocal next_at
        start = time.monotonic()
        if next_at is not None and start < next_at:
            return
        saved = save_weights(weights(), path)
        took = time.monotonic() - start
        next_at = start + max(every_s, took / max_share)
        control.emit("checkpoint", weights_path=str(saved))

    return save


def error_message(exc: BaseException) -> str:
    """One line for a person: our own errors speak for themselves, others get their type."""
    from builder.data.sources import DataError

    known = (TrainingError, DataError, ValueError)
    if isinstance(exc, known):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "out of memory: lower the batch size or make the model smaller"
    return f"{type(exc).__name__}: {exc}"


def run_loop(loop, design, control: RunControl, *, out_dir=None, **kwargs) -> LoopResult | None:
    """Run `loop` to the end: emit `done` (finished or stopped) or `error`; save the weights.

    `loop` may be a function or None (chosen from the design's task). Never raises.
    """
    start = time.perf_counter()
    try:
        if loop is None:
            loop = resolve_loop((design.training or {}).get("task", "classification"))
        if out_dir is not None:
            from builder.runs.samples_file import SAMPLES_FILE, SamplesFile

            control.keep_weights_with(periodic_saver(control, Path(out_dir) / "weights.pt"))
            control.add_sink(SamplesFile(Path(out_dir) / SAMPLES_FILE))  # a GAN's, at its end
        result = loop(design, control, **kwargs)
        weights_path = None
        if out_dir is not None and result.weights:
            weights_path = str(save_weights(result.weights, Path(out_dir) / "weights.pt"))
    except Exception as exc:  # the run ends here; the watcher gets the reason
        control.emit(
            "error",
            message=error_message(exc),
            step=getattr(exc, "step", None),
            epoch=getattr(exc, "epoch", None),
            problems=[p.to_dict() for p in getattr(exc, "problems", [])] or None,
            detail=None if isinstance(exc, TrainingError) else traceback.format_exc(limit=8),
            seconds=time.perf_counter() - start,
        )
        return None
    control.emit(
        "done",
        status="stopped" if control.stopped else "finished",
        final=result.final,
        weights_path=weights_path,
        seconds=time.perf_counter() - start,
    )
    return result


def drain(events: queue.Queue) -> list[dict]:
    """Everything waiting in the queue, oldest first, without blocking."""
    found = []
    while True:
        try:
            found.append(events.get_nowait())
        except queue.Empty:
            return found


class ThreadRun:
    """A loop in a background thread (for notebooks and the CLI); the same surface as RunHandle."""

    def __init__(self, design, loop=None, *, out_dir=None, step_every: int = 10, **kwargs):
        self._queue: queue.Queue = queue.Queue()
        self.control = RunControl([self._queue.put], step_every=step_every)
        self.result: LoopResult | None = None

        def target():
            self.result = run_loop(loop, design, self.control, out_dir=out_dir, **kwargs)

        self._thread = threading.Thread(target=target, name="netbuilder-train", daemon=True)
        self._thread.start()

    def poll(self) -> list[dict]:
        return drain(self._queue)

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self, timeout: float | None = None) -> None:
        self.control.stop()
        if timeout is not None:
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def _default(obj):
    if isinstance(obj, np.ndarray):
        data = np.ascontiguousarray(obj)
        return {
            "__ndarray__": base64.b64encode(data.tobytes()).decode("ascii"),
            "dtype": str(data.dtype),
            "shape": list(data.shape),
        }
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot send {type(obj).__name__} in an event")


def _hook(obj):
    if "__ndarray__" in obj:
        raw = base64.b64decode(obj["__ndarray__"])
        return np.frombuffer(raw, dtype=obj["dtype"]).reshape(obj["shape"]).copy()
    return obj


def encode_event(event: dict) -> str:
    """One line of JSON; numpy arrays travel as base64 and come back as arrays."""
    return json.dumps(event, default=_default, allow_nan=True)


def decode_event(line: str) -> dict:
    return json.loads(line, object_hook=_hook)
