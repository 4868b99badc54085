"""Run history: every run, its design, status, metrics and weights, in one SQLite file.

WAL mode lets the page read while a worker writes; each write is one short transaction, so two
runs writing at once corrupt nothing and a killed process leaves its finished epochs readable.
A run left "running" by a process that no longer exists reads back as "interrupted".
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import sqlite3
import time
from contextlib import closing, contextmanager
from pathlib import Path

from builder.data.datasets import dataset_label
from builder.recipes.tasks import task_of
from builder.runs.protocol import (
    OWNED,
    RECORDED,
    EventKind,
    ProtocolError,
    RunStatus,
    dispatch,
    run_status,
)
from builder.runs.workspace import workspace_dir

DB_NAME = "runs.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    task TEXT,
    dataset TEXT,
    design TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL,
    weights_path TEXT,
    out_dir TEXT,
    final TEXT,
    error TEXT,
    pid INTEGER,
    host TEXT,
    design_id TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
);
CREATE TABLE IF NOT EXISTS health (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS health_by_run ON health (run_id, seq);
"""
RUN_FIELDS = (
    "id, name, task, dataset, status, started_at, ended_at, weights_path, out_dir, final, error, "
    "pid, host, design_id"
)


def _corrupt(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return (
        not isinstance(exc, sqlite3.OperationalError)
        or "malformed" in text
        or "not a database" in text
    )


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StoreError(ValueError):
    """The run store cannot be read or written; the message says where and why."""


def standard_json(value) -> str:
    """JSON that every reader accepts: NaN and infinities become null."""
    return json.dumps(_finite(value), allow_nan=False)


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class RunStore:
    """The runs database in a workspace folder (`workspace/runs.sqlite`).

    A file that is not a readable database is set aside (renamed, `set_aside` says where) and a
    fresh one started, so one corrupt file never hides the app; a workspace that cannot be
    written raises StoreError with the folder and the reason.
    """

    def __init__(self, workspace: str | os.PathLike | None = None):
        try:
            self.root = workspace_dir(workspace)
        except OSError as exc:
            raise StoreError(
                f"the workspace {workspace or 'folder'} cannot be made: {_why(exc)}"
            ) from None
        self.path = self.root / DB_NAME
        self.set_aside: Path | None = None
        try:
            self._create()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and not _corrupt(exc):
                raise StoreError(f"the run store {self.path} cannot be written: {exc}") from None
            self.set_aside = self._set_aside()
            self._create()

    def _create(self) -> None:
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            db.execute("SELECT COUNT(*) FROM runs").fetchone()
            columns = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
            if "design_id" not in columns:  # a store from before runs belonged to a document
                db.execute("ALTER TABLE runs ADD COLUMN design_id TEXT")

    def _set_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{DB_NAME}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(self.path) + suffix)
            if part.exists():
                part.replace(Path(str(target) + suffix))
        return target

    @contextmanager
    def _connect(self):
        try:
            with closing(sqlite3.connect(self.path, timeout=30.0)) as db:
                db.execute("PRAGMA busy_timeout=30000")
                db.execute("PRAGMA foreign_keys=ON")
                db.execute("PRAGMA synchronous=NORMAL")
                db.row_factory = sqlite3.Row
                with db:  # one transaction: commit on success, roll back on error
                    yield db
        except sqlite3.OperationalError as exc:
            if _corrupt(exc):
                raise
            raise StoreError(f"the run store {self.path} cannot be used: {exc}") from None

    def run_dir(self, run_id: int) -> Path:
        return self.root / "runs" / str(run_id)

    def create_run(
        self,
        design,
        *,
        out_dir=None,
        pid: int | None = None,
        status: RunStatus = RunStatus.RUNNING,
        design_id: str | None = None,
    ) -> int:
        """Record a new run (a frozen copy of its design) as running or queued; returns its id.
        `pid`: the process that owns it now (default this one); `design_id`: its document."""
        if status not in OWNED:
            raise ValueError(f"a new run is queued or running, not {status!r}")
        data = design.to_dict() if hasattr(design, "to_dict") else dict(design)
        training = data.get("training") or {}
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO runs (name, task, dataset, design, status, started_at, out_dir, pid,"
                " host, design_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    data.get("name", "design"),
                    task_of(training),
                    dataset_label(training.get("dataset", "")),
                    standard_json(data),
                    status,
                    time.time(),
                    None if out_dir is None else str(out_dir),
                    os.getpid() if pid is None else pid,
                    socket.gethostname(),
                    design_id,
                ),
            )
            run_id = int(cur.lastrowid)
            if out_dir is None:
                db.execute(
                    "UPDATE runs SET out_dir = ? WHERE id = ?", (str(self.run_dir(run_id)), run_id)
                )
        return run_id

    def mark_started(self, run_id: int, pid: int) -> None:
        """A waiting run now trains in process `pid` (its clock starts now)."""
        with self._connect() as db:
            db.execute(
                "UPDATE runs SET status = ?, pid = ?, started_at = ? WHERE id = ?",
                (RunStatus.RUNNING, pid, time.time(), run_id),
            )

    def add_metrics(self, run_id: int, epoch: int, metrics: dict) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO metrics (run_id, epoch, data) VALUES (?, ?, ?)",
                (run_id, int(epoch), standard_json(metrics)),
            )

    def set_weights(self, run_id: int, weights_path) -> None:
        """Where the run's latest saved weights are (while it trains, and after)."""
        with self._connect() as db:
            db.execute("UPDATE runs SET weights_path = ? WHERE id = ?", (str(weights_path), run_id))

    def finish_run(self, run_id, status, *, final=None, error=None, weights_path=None) -> None:
        if status not in RECORDED:
            known = ", ".join(RECORDED)
            raise ValueError(f"status must be one of {known}, got {status!r}")
        with self._connect() as db:
            db.execute(
                "UPDATE runs SET status = ?, ended_at = ?, final = ?, error = ?,"
                " weights_path = COALESCE(?, weights_path) WHERE id = ?",
                (
                    status,
                    time.time(),
                    None if final is None else standard_json(final),
                    error,
                    None if weights_path is None else str(weights_path),
                    run_id,
                ),
            )

    def _row(self, row) -> dict:
        run = dict(row)
        try:
            run["final"] = json.loads(run["final"]) if run.get("final") else None
            if "design" in run:
                run["design"] = json.loads(run["design"])
        except (TypeError, ValueError):  # one damaged row must not hide the others
            run["final"], run["status"] = None, RunStatus.ERROR
            run["error"] = "this run's record is damaged and cannot be read"
            if "design" in run:
                run["design"] = None
        try:
            run["status"] = run_status(run["status"])
        except ProtocolError as exc:  # a status this version does not know: say which
            run["status"], run["error"] = RunStatus.ERROR, str(exc)
        if (
            run["status"] in OWNED
            and run.get("host") == socket.gethostname()
            and not _pid_alive(run.get("pid"))
        ):
            run["status"] = RunStatus.INTERRUPTED
        return run

    def list_runs(self, limit: int | None = None, design_id: str | None = None) -> list[dict]:
        """Newest first: id, name, task, dataset, status, times, weights, final metrics, epochs;
        only the runs of one design document when `design_id` is given."""
        where, args = ("WHERE design_id = ?", [design_id]) if design_id else ("", [])
        sql = (
            f"SELECT {RUN_FIELDS}, (SELECT COUNT(*) FROM metrics m WHERE m.run_id = runs.id)"
            f" AS epochs_done FROM runs {where} ORDER BY id DESC"
        )
        if limit:
            sql, args = sql + " LIMIT ?", [*args, limit]
        with self._connect() as db:
            return [self._row(r) for r in db.execute(sql, args).fetchall()]

    def get_run(self, run_id: int) -> dict | None:
        """One run with its design (as a dict), or None."""
        with self._connect() as db:
            row = db.execute(f"SELECT {RUN_FIELDS}, design FROM runs WHERE id = ?", (run_id,))
            row = row.fetchone()
        return None if row is None else self._row(row)

    def metrics(self, run_id: int, since_epoch: int = 0) -> list[dict]:
        """Per-epoch metrics in order (only epochs after `since_epoch`, for cheap polling)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT data FROM metrics WHERE run_id = ? AND epoch > ? ORDER BY epoch",
                (run_id, since_epoch),
            ).fetchall()
        found = []
        for row in rows:
            try:
                found.append(json.loads(row["data"]))
            except (TypeError, ValueError):
                continue  # a damaged epoch row; the others still show
        return found

    def add_health(self, run_id: int, record: dict) -> None:
        """One health record of the run (a step's statistics, or the node that went non-finite)."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO health (run_id, data) VALUES (?, ?)", (run_id, standard_json(record))
            )

    def health(self, run_id: int) -> list[dict]:
        """The run's health records in the order they came (none for a run from before them)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT data FROM health WHERE run_id = ? ORDER BY seq", (run_id,)
            ).fetchall()
        found = []
        for row in rows:
            try:
                found.append(json.loads(row["data"]))
            except (TypeError, ValueError):
                continue  # a damaged record; the others still show
        return found

    def delete_run(self, run_id: int) -> bool:
        """Delete a run, its metrics and its folder under the workspace; False if unknown."""
        run = self.get_run(run_id)
        if run is None:
            return False
        with self._connect() as db:
            db.execute("DELETE FROM metrics WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM health WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        folder = self.run_dir(run_id)
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        return True

    def sink(self, run_id: int):
        """An event sink that records `epoch` metrics, saved weights and the run's end."""
        handlers = {
            EventKind.EPOCH: lambda e: self.add_metrics(
                run_id, e["epoch"], {k: v for k, v in e.items() if k != "type"}
            ),
            EventKind.HEALTH: lambda e: self.add_health(
                run_id, {k: v for k, v in e.items() if k != "type"}
            ),
            EventKind.CHECKPOINT: lambda e: self.set_weights(run_id, e["weights_path"]),
            EventKind.DONE: lambda e: self.finish_run(
                run_id, e["status"], final=e.get("final"), weights_path=e.get("weights_path")
            ),
            EventKind.ERROR: lambda e: self.finish_run(
                run_id, RunStatus.ERROR, error=e.get("message")
            ),
        }
        return lambda event: dispatch(handlers, event)
