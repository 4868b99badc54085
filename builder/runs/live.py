"""What a page shows of a run, built from its events: curves, progress, last epoch, samples.

`RunView` takes the events a training loop emits (builder.runs.protocol) and keeps what a live
dashboard draws: the step losses, one row per epoch, the latest confusion matrix or
true-vs-predicted values, a GAN's or a language model's samples per epoch, and the progress
(epoch, step, samples per second, time left).  It is thread-safe: one page timer feeds it, any number of pages read
`snapshot()`.  A run recorded in the store (e.g. after a restart) is rebuilt with `from_store`.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from builder.runs.protocol import EventKind, RunStatus, dispatch, run_status
from builder.runs.samples_file import SAMPLES_FILE, read_samples, thin_samples

STEP_KEYS = ("loss", "d_loss", "g_loss")
MAX_STEP_POINTS = 20_000  # older step points are thinned, never the newest ones
MIN_RATE_SPAN_S = 1.0  # samples/s from step arrivals needs at least this much time between them


def downsample(xs, ys, max_points: int = 400):
    """At most `max_points` of a curve, evenly picked, always keeping the first and last point."""
    n = len(xs)
    if n <= max_points or max_points < 2:
        return list(xs), list(ys)
    idx = np.unique(np.linspace(0, n - 1, max_points).round().astype(int))
    return [xs[i] for i in idx], [ys[i] for i in idx]


@dataclass
class Progress:
    """Where a run is: for a progress bar with epoch, step, samples/s and time left."""

    epoch: int = 0
    epochs: int = 0
    step: int = 0
    total_steps: int = 0
    batch: int = 0
    batches: int = 0
    samples_per_sec: float | None = None
    seconds_left: float | None = None

    @property
    def fraction(self) -> float:
        if not self.total_steps:
            return 0.0
        return max(0.0, min(1.0, self.step / self.total_steps))


@dataclass
class Snapshot:
    """A consistent copy of a run's view, safe to draw while training goes on."""

    run_id: int | None
    status: RunStatus
    error: str | None
    task: str | None
    start: dict
    steps: list[dict]
    epochs: list[dict]
    progress: Progress
    samples: dict[int, np.ndarray] = field(default_factory=dict)
    sample_kind: str | None = None
    real: np.ndarray | None = None
    class_names: list[str] | None = None
    version: int = 0

    @property
    def ended(self) -> bool:
        return run_status(self.status).ended

    @property
    def last_epoch(self) -> dict | None:
        return self.epochs[-1] if self.epochs else None


class RunView:
    """The accumulated events of one run."""

    def __init__(self, run_id: int | None = None, *, clock=time.monotonic):
        self.run_id = run_id
        self._clock = clock
        self._lock = threading.Lock()
        self.status = RunStatus.STARTING
        self.error: str | None = None
        self.start: dict = {}
        self.real: np.ndarray | None = None
        self.steps: list[dict] = []
        self.epochs: list[dict] = []
        self.samples: dict[int, np.ndarray] = {}
        self._sample_stride = 1
        self.sample_kind: str | None = None
        self._rate: list[tuple[float, int]] = []  # (time, step) of recent step events
        self.version = 0
        self._handlers = {
            EventKind.START: self._on_start,
            EventKind.STEP: self._on_step,
            EventKind.EPOCH: self._on_epoch,
            EventKind.SAMPLES: self._on_samples,
            EventKind.STATUS: self._on_status,
            EventKind.DONE: self._on_status,
            EventKind.ERROR: self._on_error,
        }

    # -- feeding -----------------------------------------------------------------------------
    def add(self, events) -> int:
        """Take a batch of events (oldest first); returns how many changed the view."""
        changed = 0
        with self._lock:
            for event in events:
                changed += self._add(event)
            if changed:
                self.version += 1
        return changed

    def _add(self, event: dict) -> bool:
        """Whether the event changed the view (a kind it does not draw changes nothing)."""
        return dispatch(self._handlers, event) is not None

    def _on_start(self, event: dict) -> bool:
        self.status = RunStatus.RUNNING
        self.real = event.get("real")
        self.start = {k: v for k, v in event.items() if k not in ("type", "real")}
        self.sample_kind = event.get("sample_kind")
        return True

    def _on_step(self, event: dict) -> bool:
        per_epoch = max(1, int(self.start.get("steps_per_epoch") or event.get("batches") or 1))
        point = {"step": event["step"], "x": event["step"] / per_epoch}
        point.update({k: event[k] for k in STEP_KEYS if k in event})
        self.steps.append(point)
        if len(self.steps) > MAX_STEP_POINTS:
            half = len(self.steps) // 2
            self.steps = self.steps[:half:2] + self.steps[half:]
        self._rate.append((self._clock(), int(event["step"])))
        del self._rate[:-30]
        return True

    def _on_epoch(self, event: dict) -> bool:
        row = {k: v for k, v in event.items() if k != "type"}
        self.epochs = [e for e in self.epochs if e["epoch"] != row["epoch"]] + [row]
        return True

    def _on_samples(self, event: dict) -> bool:
        self.samples[int(event["epoch"])] = np.asarray(event["samples"])
        self._sample_stride = thin_samples(self.samples, self._sample_stride)
        self.sample_kind = event.get("kind", self.sample_kind)
        return True

    def _on_status(self, event: dict) -> bool:  # paused, running again, or the run's end
        self.status = run_status(event["status"])
        return True

    def _on_error(self, event: dict) -> bool:
        self.status, self.error = RunStatus.ERROR, event.get("message") or "the run failed"
        return True

    # -- reading -----------------------------------------------------------------------------
    def progress(self) -> Progress:
        start = self.start
        epochs = int(start.get("epochs") or 0)
        per_epoch = int(start.get("steps_per_epoch") or 0)
        last_step = self.steps[-1]["step"] if self.steps else 0
        last_epoch = self.epochs[-1] if self.epochs else None
        epoch_step = int(last_epoch.get("step") or 0) if last_epoch else 0
        step = max(last_step, epoch_step)
        total = epochs * per_epoch
        if self.status == RunStatus.FINISHED and total:
            step = total
        epoch = min(epochs, step // per_epoch + 1) if per_epoch else 0
        if last_epoch and step == epoch_step:
            epoch = int(last_epoch["epoch"])
        rate = self._samples_per_sec(last_epoch)
        left = None
        running = (RunStatus.RUNNING, RunStatus.STARTING)
        if rate and total and self.status in running:  # paused: no estimate
            batch = int(start.get("batch_size") or 1)
            left = max(0.0, (total - step) * batch / rate)
        return Progress(
            epoch=epoch,
            epochs=epochs,
            step=step,
            total_steps=total,
            batch=(step - 1) % per_epoch + 1 if per_epoch and step else 0,
            batches=per_epoch,
            samples_per_sec=rate,
            seconds_left=left,
        )

    def _samples_per_sec(self, last_epoch) -> float | None:
        if len(self._rate) >= 2 and self.status == RunStatus.RUNNING:
            (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
            if (
                t1 - t0 >= MIN_RATE_SPAN_S and s1 > s0
            ):  # events that arrived in one burst say nothing
                return (s1 - s0) * int(self.start.get("batch_size") or 1) / (t1 - t0)
        if last_epoch and last_epoch.get("samples_per_sec"):
            return float(last_epoch["samples_per_sec"])
        return None

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                run_id=self.run_id,
                status=self.status,
                error=self.error,
                task=self.start.get("task"),
                start=dict(self.start),
                steps=list(self.steps),
                epochs=list(self.epochs),
                progress=self.progress(),
                samples=dict(self.samples),
                sample_kind=self.sample_kind,
                real=self.real,
                class_names=self.start.get("class_names"),
                version=self.version,
            )

    # -- from the run store ------------------------------------------------------------------
    @classmethod
    def from_store(cls, run: dict, metrics: list[dict]) -> RunView:
        """A view of a recorded run: its epochs, status and samples; no step points."""
        view = cls(run.get("id"))
        if run.get("out_dir"):
            view.samples, view.sample_kind = read_samples(Path(run["out_dir"]) / SAMPLES_FILE)
        training = (run.get("design") or {}).get("training") or {}
        last = metrics[-1] if metrics else {}
        view.start = {
            "task": run.get("task") or training.get("task"),
            "epochs": last.get("epochs") or training.get("epochs") or len(metrics),
            "steps_per_epoch": int(last.get("step") or 0) // max(1, int(last.get("epoch") or 1)),
            "batch_size": training.get("batch_size"),
            "dataset": run.get("dataset"),
        }
        view.epochs = [dict(m) for m in metrics]
        view.status = run_status(run.get("status", RunStatus.FINISHED))
        view.error = run.get("error")
        view.version = 1
        return view


def curve(rows: list[dict], key: str, x: str = "epoch") -> tuple[list, list]:
    """The (x, y) of one metric over rows that have it, skipping missing and non-finite values."""
    xs, ys = [], []
    for row in rows:
        value = row.get(key)
        if isinstance(value, int | float) and math.isfinite(value):
            xs.append(row[x])
            ys.append(value)
    return xs, ys
