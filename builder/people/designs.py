"""A person's designs as documents: each one a file with its own id, saved atomically on its own.

    designs/<id>.json        the design, exactly as a design file
    designs/<id>.meta.json   its name, times and revision, so listing a hundred designs reads little
    trash/<id>.json (+meta)  a deleted design, until it is restored

Ids are 16 random hex digits.  An id arrives from the page's address, so it is hostile text: only
ids of that form name a file, and a design file is read like any uploaded file (checked, and set
aside when it cannot be used, never trusted).  Nothing is saved that loading would refuse.

Each save raises the document's revision by one.  A page that edits a design says which revision
its edit was based on; when another tab or window saved in between, the write is refused
(`StaleDesign`) instead of silently undoing the other one's work.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from builder.atomic import write_atomic
from builder.design.spec import (
    Design,
    DesignError,
    design_from_data,
    parse_json,
    read_design_text,
    saved_text,
)

ID_PATTERN = re.compile(r"[0-9a-f]{16}")
DESIGNS_DIR = "designs"
TRASH_DIR = "trash"
MAX_NAME = 120
LOCK_FILE = ".lock"


class DocumentError(ValueError):
    """A design id that names no design of this person, or a file that cannot be used."""


class StaleDesign(DocumentError):
    """A save based on a revision that is no longer the document's: another tab or window
    saved it since (`revision` is the newer one), or deleted it (`revision` is None)."""

    def __init__(self, design_id: str, base: int, revision: int | None):
        self.design_id, self.base, self.revision = design_id, base, revision
        if revision is None:
            said = "was deleted in another tab or window"
        else:
            said = f"was changed in another tab or window (revision {revision}; yours is {base})"
        super().__init__(f"the design {design_id} {said}")


def is_design_id(text: object) -> bool:
    return isinstance(text, str) and ID_PATTERN.fullmatch(text) is not None


class DesignLibrary:
    """The design documents in one person's folder."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.designs = self.folder / DESIGNS_DIR
        self.trash = self.folder / TRASH_DIR
        self.designs.mkdir(parents=True, exist_ok=True)

    def _paths(self, design_id: str, where: Path | None = None) -> tuple[Path, Path]:
        if not is_design_id(design_id):
            raise DocumentError(f"not a design id: {str(design_id)[:80]!r}")
        where = where or self.designs
        return where / f"{design_id}.json", where / f"{design_id}.meta.json"

    def exists(self, design_id: object) -> bool:
        return is_design_id(design_id) and self._paths(design_id)[0].is_file()

    def create(self, design: Design) -> str:
        """A new document holding `design`; returns its id."""
        while True:
            design_id = secrets.token_hex(8)
            if not self._paths(design_id)[0].exists():
                break
        self.save(design_id, design, created=time.time())
        return design_id

    @contextmanager
    def _locked(self, kind: int = fcntl.LOCK_EX):
        """One writer (or many readers) of this person's documents at a time, across the
        server's threads and processes: a revision is read and raised in one step."""
        fd = os.open(self.designs / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, kind)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def save(
        self,
        design_id: str,
        design: Design,
        *,
        created: float | None = None,
        base: int | None = None,
    ) -> int:
        """Write the design and its card; returns the document's new revision.

        `base` is the revision the edit started from: when the document is no longer at it,
        nothing is written and StaleDesign says so.  DesignError when the design is one that
        loading would refuse (named field), OSError when the disk refuses."""
        path, meta_path = self._paths(design_id)
        text = saved_text(design)
        with self._locked():
            card = self._meta(meta_path)
            current = _revision(card) if path.is_file() else None
            if base is not None and current != base:
                raise StaleDesign(design_id, base, current)
            now = time.time()
            if created is None:
                created = card.get("created", now)
            revision = (current or 0) + 1
            write_atomic(path, text)
            card = {
                "name": design.name[:MAX_NAME],
                "created": created,
                "updated": now,
                "revision": revision,
            }
            write_atomic(meta_path, json.dumps(card))
        return revision

    def load(self, design_id: str) -> Design:
        """The design; DocumentError (saying why) when there is none or it cannot be used."""
        return self.open(design_id)[0]

    def open(self, design_id: str) -> tuple[Design, int]:
        """The design and its revision, read together; DocumentError (saying why, and naming
        no place on the server) when there is none or it cannot be used."""
        path, meta_path = self._paths(design_id)
        with self._locked(fcntl.LOCK_SH):
            if not path.is_file():
                raise DocumentError(f"there is no design {design_id} in your designs")
            revision = _revision(self._meta(meta_path))
            try:
                text = read_design_text(path, "its file")
                return design_from_data(parse_json(text)), revision
            except (DesignError, RecursionError, OSError, ValueError) as exc:
                raise DocumentError(f"the design {design_id} cannot be read: {exc}") from None

    def revision(self, design_id: str) -> int | None:
        """The document's revision now; None when it is not (any more) among the designs."""
        path, meta_path = self._paths(design_id)
        with self._locked(fcntl.LOCK_SH):
            return _revision(self._meta(meta_path)) if path.is_file() else None

    def set_aside(self, design_id: str) -> Path | None:
        """Move an unusable design file out of the list (kept, for the person to recover);
        returns where it went, or None when it could not be moved."""
        path, meta_path = self._paths(design_id)
        aside = path.with_name(f"{design_id}.unreadable.json")
        try:
            os.replace(path, aside)
        except OSError:
            return None
        meta_path.unlink(missing_ok=True)
        return aside

    def _meta(self, meta_path: Path) -> dict:
        try:
            card = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return card if isinstance(card, dict) else {}

    def _cards(self, where: Path) -> list[dict]:
        if not where.is_dir():
            return []
        cards = []
        for path in where.glob("*.json"):
            design_id = path.name.removesuffix(".json")
            if not is_design_id(design_id):
                continue  # cards themselves, temporary files, anything else
            card = self._meta(where / f"{design_id}.meta.json")
            stamp = path.stat().st_mtime
            name = card.get("name")
            cards.append(
                {
                    "id": design_id,
                    "name": name if isinstance(name, str) and name else "untitled",
                    "updated": _number(card.get("updated"), stamp),
                    "created": _number(card.get("created"), stamp),
                    "deleted": _number(card.get("deleted"), stamp),
                }
            )
        return sorted(cards, key=lambda c: c["updated"], reverse=True)

    def list(self) -> list[dict]:
        """Every design's id, name, created and updated times; most recently edited first."""
        return [{k: v for k, v in c.items() if k != "deleted"} for c in self._cards(self.designs)]

    def most_recent(self) -> str | None:
        cards = self.list()
        return cards[0]["id"] if cards else None

    def rename(self, design_id: str, name: str) -> Design:
        name = name.strip()[:MAX_NAME] or "untitled"
        design = replace(self.load(design_id), name=name)
        self.save(design_id, design)
        return design

    def duplicate(self, design_id: str) -> str:
        design = self.load(design_id)
        return self.create(replace(design, name=f"{design.name} (copy)"[:MAX_NAME]))

    def delete(self, design_id: str) -> None:
        """Move the design to the trash, whence `restore` brings it back."""
        path, meta_path = self._paths(design_id)
        if not path.is_file():
            raise DocumentError(f"there is no design {design_id} in your designs")
        self.trash.mkdir(exist_ok=True)
        to_path, to_meta = self._paths(design_id, self.trash)
        with self._locked():
            card = self._meta(meta_path) or {"name": "untitled"}
            card["deleted"] = time.time()
            write_atomic(to_meta, json.dumps(card))
            os.replace(path, to_path)
            meta_path.unlink(missing_ok=True)

    def deleted(self) -> list[dict]:
        """Designs in the trash, most recently deleted first."""
        cards = self._cards(self.trash)
        return sorted(cards, key=lambda c: c["deleted"], reverse=True)

    def restore(self, design_id: str) -> None:
        from_path, from_meta = self._paths(design_id, self.trash)
        if not from_path.is_file():
            raise DocumentError(f"there is no design {design_id} in the trash")
        path, meta_path = self._paths(design_id)
        with self._locked():
            card = self._meta(from_meta)
            card.pop("deleted", None)
            card["updated"] = time.time()
            os.replace(from_path, path)
            write_atomic(meta_path, json.dumps(card))
            from_meta.unlink(missing_ok=True)


def _revision(card: dict) -> int:
    value = card.get("revision")
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok else 0  # a card from before revisions, or a damaged one


def _number(value, default: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else default
