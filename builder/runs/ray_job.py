"""What travels to a Ray worker with a run: its job and the person's files it trains on.

No file system is shared with the cluster, so the page server reads the design's uploaded data
file (only from the person's uploads, and no larger than the app's upload limit) and the start
weights, and sends their bytes along; the worker writes them into the run's own folder there.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

from builder.data.datasets import confined, max_file_bytes
from builder.data.sources import DataError
from builder.runs.job import Job

DATA_FOLDER = "data"
OUT_FOLDER = "out"
START_WEIGHTS = "initial_weights.pt"


def pack_job(job: Job) -> tuple[Job, dict]:
    """(job, files): the job as it travels and the bytes it needs, by name. Its data file is
    read from inside `job.data_root` only: one outside travels not at all, and the worker then
    refuses it as the local worker does. Raises DataError for a data file over the upload limit."""
    files: dict[str, bytes] = {}
    data_file = None
    spec = (job.design.get("training") or {}).get("dataset")
    if isinstance(spec, dict) and spec.get("path") and job.data_root:
        try:
            path = confined(spec["path"], job.data_root)
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
            data_file = path.name
            files[f"{DATA_FOLDER}/{path.name}"] = path.read_bytes()
    if job.initial_weights is not None:
        files[START_WEIGHTS] = Path(job.initial_weights).read_bytes()
    return replace(job, data_file=data_file), files


def unpack_job(job: Job, files: dict, folder: Path) -> Job:
    """The job as it runs on this worker: its files written under `folder`, paths pointing there."""
    folder = Path(folder)
    for name, data in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    data_root = folder / DATA_FOLDER
    data_root.mkdir(parents=True, exist_ok=True)
    design = job.design
    if job.data_file:
        design = copy.deepcopy(design)
        design["training"]["dataset"]["path"] = str(data_root / job.data_file)
    return replace(
        job,
        design=design,
        data_root=str(data_root),
        out_dir=str(folder / OUT_FOLDER),
        initial_weights=str(folder / START_WEIGHTS) if START_WEIGHTS in files else None,
    )
