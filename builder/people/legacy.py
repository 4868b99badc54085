"""Nothing of a single-person workspace is lost: its files become the first person's.

Before workspaces were per person, the root held one `design.json`, `runs.sqlite`, the runs'
folders, the uploads and the imported weights.  The first person to open the app afterwards (on
one's own machine, the only person) adopts them all, once: the design becomes their first
document and the runs keep their metrics, weights and samples.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from builder.design.spec import DesignError, load_design
from builder.people.designs import DesignLibrary
from builder.people.keys import PEOPLE_DIR

CLAIM = ".legacy-adopted"
MOVED = ("runs.sqlite", "runs.sqlite-wal", "runs.sqlite-shm", "runs", "data", "imports")
LEGACY_DESIGN = "design.json"


def adopt_legacy(root: str | Path, folder: str | Path) -> list[str]:
    """Move the root's single-person files into `folder` unless someone already has; returns
    what was moved (names), empty when there was nothing or it was not this person's to take."""
    root, folder = Path(root).resolve(), Path(folder).resolve()
    present = [n for n in (*MOVED, LEGACY_DESIGN) if (root / n).exists()]
    if not present:
        return []
    claim = root / PEOPLE_DIR / CLAIM
    claim.parent.mkdir(parents=True, exist_ok=True)
    try:  # exclusive create: of two pages opening at once, one adopts
        os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return []
    moved = []
    for name in MOVED:
        source, target = root / name, folder / name
        if source.exists() and not target.exists():
            os.replace(source, target)
            moved.append(name)
    if "runs.sqlite" in moved:
        _repoint_runs(folder / "runs.sqlite", f"{root}{os.sep}", f"{folder}{os.sep}")
    design_file = root / LEGACY_DESIGN
    if design_file.is_file():
        try:
            DesignLibrary(folder).create(load_design(design_file))
            design_file.unlink()
        except (DesignError, RecursionError, OSError, ValueError):
            os.replace(design_file, folder / "design.unreadable.json")  # kept, for the person
        moved.append(LEGACY_DESIGN)
    return moved


def _repoint_runs(db_path: Path, old: str, new: str) -> None:
    """The store records where each run's files are; they now live in the person's folder."""
    with closing(sqlite3.connect(db_path, timeout=30.0)) as db, db:
        for column in ("out_dir", "weights_path"):
            db.execute(
                f"UPDATE runs SET {column} = ? || substr({column}, ?) "
                f"WHERE substr({column}, 1, ?) = ?",
                (new, len(old) + 1, len(old), old),
            )
