"""A kept run, written for TensorBoard: the scalars train.py --tensorboard writes (every number of
each epoch, at the epoch's last step) and histograms of the run's saved weights per layer.

Gradients are not kept with a run, so only a run trained with --tensorboard has their histograms.
"""

from __future__ import annotations

import math
import shlex
from pathlib import Path

import torch

from builder.errors import DesignError

COUNTERS = ("epoch", "epochs", "step", "batch", "batches")  # positions, not measurements
FOLDER = "tensorboard"  # inside the run's own folder


def tensorboard_missing() -> str | None:
    """Why TensorBoard logs cannot be written here, or None."""
    try:
        import tensorboard  # noqa: F401  deferred on purpose: an optional package
    except ImportError:
        return "TensorBoard logs need the tensorboard package: pip install tensorboard"
    return None


def tensorboard_command(folder: str | Path) -> str:
    return f"tensorboard --logdir {shlex.quote(str(folder))}"


def write_run_tensorboard(rows: list[dict], weights_path, folder: str | Path) -> Path:
    """Write a run's epoch rows (and its weights' histograms, when saved) into `folder`."""
    missing = tensorboard_missing()
    if missing:
        raise DesignError(missing)
    from torch.utils.tensorboard import SummaryWriter  # deferred on purpose: optional package

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("events.out.tfevents.*"):
        old.unlink()  # written again whole: TensorBoard would show both copies
    writer = SummaryWriter(log_dir=str(folder))
    try:
        last_step = 0
        for row in rows:
            step = int(row.get("step") or row.get("epoch") or 0)
            last_step = max(last_step, step)
            for key, value in row.items():
                if key in COUNTERS or isinstance(value, bool):
                    continue
                if isinstance(value, int | float) and math.isfinite(value):
                    writer.add_scalar(f"epoch/{key}", value, step)
        for tag, tensor in _weights(weights_path):
            writer.add_histogram(f"weights/{tag}", tensor.float(), last_step)
    finally:
        writer.close()
    return folder


def _weights(weights_path) -> list[tuple[str, torch.Tensor]]:
    """(tag, tensor) of every floating-point weight saved (a GAN's under its model's name)."""
    if not weights_path or not Path(weights_path).is_file():
        return []
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    found = []
    nested = all(isinstance(v, dict) for v in state.values())
    for prefix, part in state.items() if nested else [("", state)]:
        for name, tensor in part.items():
            if isinstance(tensor, torch.Tensor) and tensor.is_floating_point():
                found.append((f"{prefix}/{name}" if prefix else name, tensor))
    return found
