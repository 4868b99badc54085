"""What travels to a Ray worker with a run: the job and the person's files it trains on.

No file system is shared with the cluster, so the page server reads the design's uploaded data
file (only from the person's uploads, and no larger than the app's upload limit) and the start
weights, and sends their bytes along; the worker writes them into the run's own folder there.
"""

from __future__ import annotations

import copy
from pathlib import Path

from builder.data.datasets import confined, max_file_bytes
from builder.data.sources import DataError

DATA_FOLDER = "data"
OUT_FOLDER = "out"
START_WEIGHTS = "initial_weights.pt"


def pack_job(design, data_root, *, initial_weights=None, **options) -> tuple[dict, dict]:
    """(job, files): the job for `builder.runs.worker.train_job` and the bytes it needs, by name.
    A data file outside `data_root` travels not at all: the worker then refuses it as the
    local worker does. Raises DataError for a data file over the upload limit."""
    job = {"design": copy.deepcopy(design.to_dict()), **options}
    files: dict[str, bytes] = {}
    spec = (job["design"].get("training") or {}).get("dataset")
    if isinstance(spec, dict) and spec.get("path"):
        try:
            path = confined(spec["path"], data_root)
        except DataError:
            path = None
        if path is not None and path.is_file():
            limit = max_file_bytes()
            size = path.stat().st_size
            if size > limit:
                raise DataError(
                    f"{path.name}: {size / 2**20:.1f} MB is more than the limit of "
                    f"{limit / 2**20:.1f} MB"
                )
            job["data_file"] = path.name
            files[f"{DATA_FOLDER}/{path.name}"] = path.read_bytes()
    if initial_weights is not None:
        files[START_WEIGHTS] = Path(initial_weights).read_bytes()
    return job, files


def unpack_job(job: dict, files: dict, folder: Path) -> dict:
    """The job as it runs on this worker: its files written under `folder`, paths pointing there."""
    folder = Path(folder)
    job = copy.deepcopy(job)
    for name, data in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    data_root = folder / DATA_FOLDER
    data_root.mkdir(parents=True, exist_ok=True)
    if job.get("data_file"):
        job["design"]["training"]["dataset"]["path"] = str(data_root / job["data_file"])
    job["data_root"] = str(data_root)
    job["out_dir"] = str(folder / OUT_FOLDER)
    job["initial_weights"] = str(folder / START_WEIGHTS) if START_WEIGHTS in files else None
    return job
