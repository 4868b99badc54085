"""Data files a user uploads: checked from their bytes first, then kept in the workspace.

A file is read with the trainer's own readers (`builder.data.dataset_from_bytes`) before it is
written anywhere, so a broken file changes nothing; a good one is stored under
`WORKSPACE/data/` with a content hash in its name (two uploads never overwrite each other) and
the design's `training.dataset` refers to it by path.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from builder.atomic import write_atomic
from builder.data import DataError, Dataset, dataset_from_bytes
from builder.data.csv_table import csv_rows, sniff_dialect
from builder.runs.workspace import workspace_dir

KINDS = {".csv": "csv", ".npz": "npz", ".zip": "images", ".txt": "text"}


def upload_kind(name: str) -> str:
    """csv, npz, images (a ZIP of class folders) or text, from the file name; DataError otherwise."""
    kind = KINDS.get(Path(name).suffix.lower())
    if kind is None:
        raise DataError(
            f"{name}: unsupported file type; upload a .csv (with a header row), an .npz "
            "(arrays X and y), a .zip of image folders (one folder per class) or a .txt (text)"
        )
    return kind


def read_upload(
    name: str,
    data: bytes,
    *,
    task: str = "classification",
    seed: int = 0,
    input_shape=None,
    target: str | None = None,
    text: dict | None = None,
    input_id: str | None = None,
) -> Dataset:
    """The uploaded bytes as a split data set, or DataError naming what is wrong (a data set
    too large for the Input's shape names the Input `input_id`)."""
    kind = upload_kind(name)
    return dataset_from_bytes(
        kind, data, name, task, seed, input_shape, target, text=text, input_id=input_id
    )


def uploads_dir(workspace=None) -> Path:
    """Where a person's uploaded data files live: the only files the app reads data from."""
    return workspace_dir(workspace) / "data"


def save_upload(name: str, data: bytes, workspace=None) -> Path:
    """Write an uploaded file into WORKSPACE/data/ (atomically); returns its path."""
    folder = uploads_dir(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(name).stem).strip("._")[:60] or "data"
    digest = hashlib.sha256(data).hexdigest()[:10]
    path = folder / f"{stem}-{digest}{Path(name).suffix.lower()}"
    if not path.exists():
        write_atomic(path, data)
    return path


def dataset_setting(
    name: str, path: Path, target: str | None = None, text: str | None = None
) -> dict:
    """The value of `training.dataset` for a stored upload (`text`: a CSV's text column): its
    file name, which the app reads inside the person's uploads.  Never the whole path: it names
    the person's folder, and a design travels (shared links, saved files, exports)."""
    setting = {"type": upload_kind(name), "path": Path(path).name}
    if target is not None:
        setting["target"] = target
    if text is not None:
        setting["text"] = text
    return setting


def csv_columns(path) -> list[str]:
    """The header of a stored CSV (the column names a target can be picked from)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        head = handle.read(65536)
    row = next(csv_rows(head, Path(path).name, sniff_dialect(head)), [])
    return [cell.strip() for cell in row]


TEXT_SHARE = 0.9  # of a column's cells that must be words for it to be the text to classify


def text_column(data: bytes, target: str | None = None, rows: int = 200) -> str | None:
    """The CSV's one column of words (not numbers) besides the target, or None: such a CSV is
    text to classify, read through that column."""
    try:
        head = data[: 1 << 20].decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    table = []
    try:
        for row in csv_rows(head, "the file"):
            table.append(row)
            if len(table) > rows:
                break
    except DataError:
        return None  # not readable as CSV: the reader says where, when it reads the file
    if len(table) < 2:
        return None
    header = [h.strip() for h in table[0]]
    target = target if target in header else header[-1]
    wordy = []
    for i, name in enumerate(header):
        cells = [row[i] for row in table[1:] if i < len(row) and row[i].strip()]
        words = sum(not _is_number(c) for c in cells)
        # Text when nearly every cell is words: a number column with a typo in it is a mistake
        # to point at, not text to classify.
        if name != target and cells and words >= TEXT_SHARE * len(cells):
            wordy.append(name)
    return wordy[0] if len(wordy) == 1 else None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
