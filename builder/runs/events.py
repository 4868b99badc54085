"""Events between processes: one line of JSON each, numpy arrays included."""

from __future__ import annotations

import base64
import json
import queue
from pathlib import Path

import numpy as np


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


def drain(events: queue.Queue) -> list[dict]:
    """Everything waiting in the queue, oldest first, without blocking."""
    found = []
    while True:
        try:
            found.append(events.get_nowait())
        except queue.Empty:
            return found
