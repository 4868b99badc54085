"""A run's sample batches on disk (`samples.npz` in the run's folder: a GAN's generated images,
points or arrays, a language model's lines), so the page shows them after the run, and after a
restart, as it showed them live.

The file is read as hostile: no pickles, and a broken or foreign file reads as no samples.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np

from builder.atomic import atomic_writer
from builder.runs.protocol import EventKind, dispatch

SAMPLES_FILE = "samples.npz"
# Sample batches kept per run: at most this many epochs and bytes. Beyond that only
# multiples of a doubling stride stay, so the kept epochs spread evenly over the whole run;
# the untrained one (0) and the newest always stay.
MAX_SAMPLE_EPOCHS = 50
MAX_SAMPLE_BYTES = 64 * 2**20
_EPOCH = re.compile(r"epoch_(\d{1,9})")


class SamplesFile:
    """An event sink: keeps the run's `samples` batches (thinned as the page thins them) and
    writes them when the run ends (finished, stopped or failed)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.samples: dict[int, np.ndarray] = {}
        self.kind: str | None = None
        self._stride = 1
        self._handlers = {
            EventKind.SAMPLES: self._keep,
            EventKind.DONE: self._write,
            EventKind.ERROR: self._write,
        }

    def __call__(self, event: dict) -> None:
        dispatch(self._handlers, event)

    def _keep(self, event: dict) -> None:
        self.samples[int(event["epoch"])] = np.asarray(event["samples"])
        self.kind = event.get("kind", self.kind)
        self._stride = thin_samples(self.samples, self._stride)

    def _write(self, event: dict) -> None:
        if not self.samples:
            return
        try:
            write_samples(self.path, self.samples, self.kind)
        except OSError:
            pass  # a full disk: the run and its epochs stand without its sample file


def thin_samples(samples: dict[int, np.ndarray], stride: int) -> int:
    """Keep the epochs that are multiples of a stride (doubled whenever too many are kept), and
    the newest: evenly spread over the whole run, and bounded. Returns the stride now."""
    size = max(1, max(a.nbytes for a in samples.values()))
    limit = max(3, min(MAX_SAMPLE_EPOCHS, MAX_SAMPLE_BYTES // size))
    newest = max(samples)
    while True:
        for epoch in [e for e in samples if e % stride and e != newest]:
            del samples[epoch]
        if len(samples) <= limit:
            return stride
        stride *= 2


def write_samples(path: Path, samples: dict[int, np.ndarray], kind: str | None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"epoch_{epoch}": np.asarray(batch) for epoch, batch in samples.items()}
    with atomic_writer(path) as out:  # a file object: numpy would add ".npz" to a path
        np.savez_compressed(out, kind=np.array(kind or ""), **arrays)
    return path


def read_samples(path: Path) -> tuple[dict[int, np.ndarray], str | None]:
    """({epoch: batch}, kind) from `path`; ({}, None) when it is missing or not ours."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            samples = {
                int(found.group(1)): data[name]
                for name in data.files
                if (found := _EPOCH.fullmatch(name)) and data[name].dtype.kind in "fU"
            }
            kind = str(data["kind"]) if "kind" in data.files else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return {}, None
    return samples, (kind or None) if samples else None
