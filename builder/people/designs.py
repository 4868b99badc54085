"""A person's designs as documents: each one a file with its own id, saved atomically on its own.

    designs/<id>.json        the design, exactly as a design file
    designs/<id>.meta.json   its name and times, so listing a hundred designs reads little
    trash/<id>.json (+meta)  a deleted design, until it is restored

Ids are 16 random hex digits.  An id arrives from the page's address, so it is hostile text: only
ids of that form name a file, and a design file is read like any uploaded file (checked, and set
aside when it cannot be used, never trusted).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import replace
from pathlib import Path

from builder.atomic import write_atomic
from builder.design.spec import Design, DesignError, load_design

ID_PATTERN = re.compile(r"[0-9a-f]{16}")
DESIGNS_DIR = "designs"
TRASH_DIR = "trash"
MAX_NAME = 120


class DocumentError(ValueError):
    """A design id that names no design of this person, or a file that cannot be used."""


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

    def save(self, design_id: str, design: Design, *, created: float | None = None) -> None:
        """Write the design and its card (OSError when the disk refuses)."""
        path, meta_path = self._paths(design_id)
        now = time.time()
        if created is None:
            created = self._meta(meta_path).get("created", now)
        write_atomic(path, design.to_json())
        card = {"name": design.name[:MAX_NAME], "created": created, "updated": now}
        write_atomic(meta_path, json.dumps(card))

    def load(self, design_id: str) -> Design:
        """The design; DocumentError (saying why) when there is none or it cannot be used."""
        path, _ = self._paths(design_id)
        if not path.is_file():
            raise DocumentError(f"there is no design {design_id} in your designs")
        try:
            return load_design(path)
        except (DesignError, RecursionError, OSError, ValueError) as exc:
            raise DocumentError(f"the design {design_id} cannot be read: {exc}") from None

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
        card = self._meta(from_meta)
        card.pop("deleted", None)
        card["updated"] = time.time()
        os.replace(from_path, path)
        write_atomic(meta_path, json.dumps(card))
        from_meta.unlink(missing_ok=True)


def _number(value, default: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else default
