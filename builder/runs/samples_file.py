"""A GAN run's sample batches on disk (`samples.npz` in the run's folder), so the page shows
them after the run, and after a restart, as it showed them live.

The file is read as hostile: no pickles, and a broken or foreign file reads as no samples.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np

from builder.runs.live import RunView

SAMPLES_FILE = "samples.npz"
_EPOCH = re.compile(r"epoch_(\d{1,9})")


class SamplesFile:
    """An event sink: keeps the run's `samples` batches (thinned as the page thins them) and
    writes them when the run ends (finished, stopped or failed)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._view = RunView()

    def __call__(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "samples":
            self._view.add([event])
        elif kind in ("done", "error") and self._view.samples:
            write_samples(self.path, self._view.samples, self._view.sample_kind)


def write_samples(path: Path, samples: dict[int, np.ndarray], kind: str | None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    arrays = {f"epoch_{epoch}": np.asarray(batch) for epoch, batch in samples.items()}
    with open(tmp, "wb") as out:  # a file object: numpy would add ".npz" to a path
        np.savez_compressed(out, kind=np.array(kind or ""), **arrays)
    tmp.replace(path)
    return path


def read_samples(path: Path) -> tuple[dict[int, np.ndarray], str | None]:
    """({epoch: batch}, kind) from `path`; ({}, None) when it is missing or not ours."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            samples = {
                int(found.group(1)): data[name]
                for name in data.files
                if (found := _EPOCH.fullmatch(name)) and data[name].dtype.kind == "f"
            }
            kind = str(data["kind"]) if "kind" in data.files else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return {}, None
    return samples, (kind or None) if samples else None
