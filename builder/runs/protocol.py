"""The run protocol: how a run stands (`RunStatus`), what it says (`EventKind`, one typed payload
per kind in `PAYLOADS`), and how that travels between processes (one line of JSON per event).

Both enums are string-valued, so an event or a status is the same text in a JSON line, in the
SQLite store and in a run recorded before they existed. An event is a plain dict whose "type"
is its kind; every sink reacts through `dispatch` on a table of handlers, so a kind nobody
declared is an error that names it, and a kind a sink does not handle passes it by.

Adding an event kind is one change here: a member of `EventKind`, its payload, its entry in
`PAYLOADS` (train.py learns the kinds from `EventKind` when it is written).
"""

# No `from __future__ import annotations` here: TypedDict reads Required[...] from live annotations.
import base64
import json
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Required, TypedDict

import numpy as np


class ProtocolError(ValueError):
    """An event, status or command that is not part of the protocol; the message names it."""


class RunStatus(StrEnum):
    IDLE = "idle"  # a page with no run yet
    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    CANCELLED = "cancelled"
    ERROR = "error"
    INTERRUPTED = "interrupted"  # whoever trained or watched it went away before its end

    @property
    def ended(self) -> bool:
        return self in ENDED

    @property
    def succeeded(self) -> bool:
        """Ended as someone wanted: trained to the end, or stopped on request."""
        return self in (RunStatus.FINISHED, RunStatus.STOPPED)


ENDED = frozenset(
    {
        RunStatus.FINISHED,
        RunStatus.STOPPED,
        RunStatus.CANCELLED,
        RunStatus.ERROR,
        RunStatus.INTERRUPTED,
    }
)
# What the run store records: a run waiting or training, or how it ended.
RECORDED = frozenset({RunStatus.QUEUED, RunStatus.RUNNING, *ENDED})
# Recorded runs still owned by a live process: a waiting run by the page server whose queue
# holds it, a training run by its worker. When that process is gone they read back as interrupted.
OWNED = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})


class EventKind(StrEnum):
    START = "start"  # what trains on what: sizes, device, class names
    STEP = "step"  # a loss point every `step_every` steps
    EPOCH = "epoch"  # one row of metrics per finished epoch
    SAMPLES = "samples"  # a generator's or language model's samples after an epoch
    CHECKPOINT = "checkpoint"  # the weights so far were saved
    STATUS = "status"  # paused or running again
    HEALTH = "health"  # per-layer statistics of one step, or the node that went non-finite first
    DONE = "done"  # the last event of a run that finished, stopped or was interrupted
    ERROR = "error"  # the last event of a run that failed, and why


class Command(StrEnum):
    """What whoever started a run may tell it."""

    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


def _member(enum: type[StrEnum], value, what: str):
    """`value` as a member of `enum`; ProtocolError naming it (and the known ones) if it is not."""
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(enum)
        raise ProtocolError(f"unknown {what} {value!r} (known: {known})") from None


def command(value) -> Command:
    return _member(Command, value, "command")


class StartEvent(TypedDict, total=False):
    type: Required[EventKind]
    task: Required[str]
    epochs: Required[int]
    dataset: str
    n_train: int
    n_val: int
    batch_size: int
    steps_per_epoch: int
    device: str
    processes: int
    params: int
    seed: int
    class_names: list[str] | None
    vocab: list[str]
    vocab_size: int
    sample_kind: str
    real: Any  # a GAN's real points, for the samples chart


class StepEvent(TypedDict, total=False):
    type: Required[EventKind]
    step: Required[int]
    epoch: int
    batch: int
    batches: int
    loss: float
    d_loss: float
    g_loss: float


class EpochEvent(TypedDict, total=False):
    """One epoch's row; beside these, the task's own metrics (train_loss, val_accuracy, …)."""

    type: Required[EventKind]
    epoch: Required[int]
    epochs: int
    step: int
    seconds: float
    samples_per_sec: float
    lr: float


class SamplesEvent(TypedDict, total=False):
    type: Required[EventKind]
    epoch: Required[int]
    samples: Required[Any]  # an array (images, points) or a list of lines (text)
    kind: str
    step: int


class CheckpointEvent(TypedDict, total=False):
    type: Required[EventKind]
    weights_path: Required[str | None]
    weights_bytes: bytes  # from a Ray worker, which shares no disk with the page server


class HealthEvent(TypedDict, total=False):
    """Every HEALTH_EVERY steps: each node's output statistics and each weight's norms; on a
    failing step instead, the first node whose output was not finite."""

    type: Required[EventKind]
    step: Required[int]
    epoch: int
    nodes: dict  # node id -> mean, std, shares, hist
    params: dict  # parameter name -> node, weight_norm, grad_norm, update_ratio
    non_finite: str


class StatusEvent(TypedDict):
    type: EventKind
    status: RunStatus


class DoneEvent(TypedDict, total=False):
    type: Required[EventKind]
    status: Required[RunStatus]
    final: dict | None
    weights_path: str | None
    weights_bytes: bytes
    seconds: float
    note: str  # why a run ended without its own last word (stopped early, interrupted)


class ErrorEvent(TypedDict, total=False):
    type: Required[EventKind]
    message: Required[str]
    step: int | None
    epoch: int | None
    problems: list[dict] | None
    detail: str | None
    seconds: float


PAYLOADS: dict[EventKind, type] = {
    EventKind.START: StartEvent,
    EventKind.STEP: StepEvent,
    EventKind.EPOCH: EpochEvent,
    EventKind.SAMPLES: SamplesEvent,
    EventKind.CHECKPOINT: CheckpointEvent,
    EventKind.STATUS: StatusEvent,
    EventKind.HEALTH: HealthEvent,
    EventKind.DONE: DoneEvent,
    EventKind.ERROR: ErrorEvent,
}
# Fields whose value is a RunStatus, read back as one.
_STATUS_FIELDS = ("status",)


def run_status(value) -> RunStatus:
    return _member(RunStatus, value, "run status")


def event_kind(event: Mapping) -> EventKind:
    """The kind of an event; ProtocolError naming it when it is not one."""
    raw = event.get("type") if isinstance(event, Mapping) else None
    return _member(EventKind, raw, "event kind")


def make_event(kind, /, **fields) -> dict:
    """An event of `kind` with `fields`, checked: its kind is known, its required fields are there."""
    return checked({"type": kind, **fields})


def checked(event: Mapping) -> dict:
    """The event with its kind and statuses as enums; ProtocolError naming what is wrong."""
    kind = event_kind(event)
    missing = PAYLOADS[kind].__required_keys__ - event.keys()
    if missing:
        raise ProtocolError(f"a {kind} event needs {', '.join(sorted(missing))}")
    event = {**event, "type": kind}
    for name in _STATUS_FIELDS:
        if name in event:
            event[name] = run_status(event[name])
    return event


def dispatch(handlers: Mapping[EventKind, Callable[[dict], Any]], event: Mapping):
    """Call the handler of the event's kind (a kind a sink does not handle passes by);
    ProtocolError for a kind that is not one."""
    handler = handlers.get(event_kind(event))
    return None if handler is None else handler(event)


# -- on the wire: one line of JSON, numpy arrays included ----------------------------------------
def _default(obj):
    if isinstance(obj, np.ndarray):
        data = np.ascontiguousarray(obj)
        return {
            "__ndarray__": base64.b64encode(data.tobytes()).decode("ascii"),
            "dtype": str(data.dtype),
            "shape": list(data.shape),
        }
    if isinstance(obj, bytes):  # saved weights from a Ray worker
        return {"__bytes__": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot send {type(obj).__name__} in an event")


def _hook(obj):
    if "__bytes__" in obj:
        return base64.b64decode(obj["__bytes__"])
    if "__ndarray__" in obj:
        raw = base64.b64decode(obj["__ndarray__"])
        return np.frombuffer(raw, dtype=obj["dtype"]).reshape(obj["shape"]).copy()
    return obj


def to_line(value) -> str:
    """One line of JSON; numpy arrays travel as base64 and come back as arrays."""
    return json.dumps(value, default=_default, allow_nan=True)


def from_line(line: str):
    return json.loads(line, object_hook=_hook)


def encode_event(event: Mapping) -> str:
    return to_line(checked(event))


def decode_event(line: str) -> dict:
    """The event on one line; ValueError for a line that is not JSON, ProtocolError for one
    that is not an event."""
    return checked(from_line(line))
