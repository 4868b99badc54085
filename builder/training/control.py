"""Run control: the hooks the app hands to a design's train() (pause/resume/stop, events,
weight snapshots), and what a run saves.

train.py's own loop calls `control.checkpoint()` once per step (it blocks while paused and
returns False once the run must stop), `control.emit(kind, **fields)` for its `start`, `step`,
`epoch` (and for a GAN or a language model `samples`) events, and `control.epoch_weights(get)`
after each epoch. Events are the run protocol's (builder.runs.protocol): plain dicts whose
"type" is an EventKind; a sink is any callable taking one event (a queue's `put`, a file
writer, the run store). `builder.training.runner` runs a design with these hooks.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from builder.atomic import atomic_writer, write_atomic
from builder.data.sources import DataError
from builder.runs.protocol import Command, EventKind, RunStatus, command, make_event

CHECKPOINT_EVERY_S = 5.0  # how often a run's weights so far are saved while it trains


class TrainingError(Exception):
    """A run that cannot go on; the message says why and what to change."""

    def __init__(self, message: str, step: int | None = None, epoch: int | None = None):
        super().__init__(message)
        self.step = step
        self.epoch = epoch


@dataclass
class LoopResult:
    """What a finished (or stopped) loop hands back: final metrics and the weights to save."""

    final: dict
    weights: dict = field(default_factory=dict)
    vocab: list[str] | None = None  # a text run's tokens in id order, kept beside its weights


class RunControl:
    """Pause/resume/stop flags set by any thread, and the event fan-out the loop emits through."""

    def __init__(self, sinks: list[Callable[[dict], None]] | tuple = (), step_every: int = 10):
        self._sinks = list(sinks)
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self.stop_status = RunStatus.STOPPED
        self.step_every = max(1, int(step_every))
        self._weight_saver: Callable[[Callable[[], dict]], None] | None = None
        self._commands = {
            Command.PAUSE: self.pause,
            Command.RESUME: self.resume,
            Command.STOP: self.stop,
        }

    def add_sink(self, sink: Callable[[dict], None]) -> None:
        self._sinks.append(sink)

    def emit(self, kind: EventKind | str, /, **fields) -> None:
        """Send one event to every sink; ProtocolError for a kind or payload not in the protocol."""
        event = make_event(kind, **fields)
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

    def obey(self, said: Command | str) -> None:
        """Pause, resume or stop as told; ProtocolError naming a command that is not one."""
        self._commands[command(said)]()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self, status: RunStatus = RunStatus.STOPPED) -> None:
        """End the run after this step; `status` is how it is recorded: STOPPED when someone
        pressed Stop, INTERRUPTED when whoever watched it went away."""
        if not self._stop.is_set():
            self.stop_status = status
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
            self.emit(EventKind.STATUS, status=RunStatus.PAUSED)
            self._running.wait()
            if not self._stop.is_set():
                self.emit(EventKind.STATUS, status=RunStatus.RUNNING)
        return not self._stop.is_set()


def load_loop(target: str, what: str = "the training loop") -> Callable:
    """A loop named "module:function", imported now."""
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        raise TrainingError(f"{what} is not available ({target})") from None


def save_vocabulary(vocab: list[str], path: Path) -> Path:
    """Write a text run's vocabulary as JSON, atomically."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(vocab, ensure_ascii=False))
    except OSError as exc:
        raise TrainingError(f"cannot save the vocabulary to {path}: {exc.strerror}") from None
    return path


def save_weights(weights: dict, path: Path) -> Path:
    """Write atomically: a full disk or a read-only folder leaves no partial file behind."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path) as out:
            torch.save(weights, out)
    except (OSError, RuntimeError) as exc:  # torch reports a full disk as a RuntimeError
        why = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise TrainingError(f"cannot save the weights to {path}: {why}") from None
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
        control.emit(EventKind.CHECKPOINT, weights_path=str(saved))

    return save


def error_message(exc: BaseException) -> str:
    """One line for a person: our own errors speak for themselves, others get their type."""
    known = (TrainingError, DataError, ValueError)
    if isinstance(exc, known):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "out of memory: lower the batch size or make the model smaller"
    return f"{type(exc).__name__}: {exc}"
