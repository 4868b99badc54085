"""Share a design by link: a read-only snapshot under the workspace root, named by a random token.

The snapshot holds the design and nothing else of the sender's: not its document id, not the
person's key, and not the record of imported weights (which live in the sender's folder).
Whoever opens the link gets their own copy to edit; the snapshot itself never changes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from pathlib import Path, PurePath

from builder.atomic import write_atomic
from builder.design.spec import Design, DesignError, load_design

SHARED_DIR = "shared"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22,64}")
PRIVATE_LAYOUT_KEYS = ("_import",)


class ShareError(ValueError):
    """A link that names no snapshot, or one that cannot be read."""


def is_token(text: object) -> bool:
    return isinstance(text, str) and TOKEN_PATTERN.fullmatch(text) is not None


def _path(root: str | Path, token: str) -> Path:
    if not is_token(token):
        raise ShareError("this link does not name a shared design")
    return Path(root) / SHARED_DIR / f"{token}.json"


def public_copy(design: Design) -> Design:
    """The design without what is the sender's alone: imported weights' record, and any folder
    around the name of an uploaded data file (the opener uploads their own)."""
    layout = {k: v for k, v in (design.layout or {}).items() if k not in PRIVATE_LAYOUT_KEYS}
    training = dict(design.training or {})
    spec = training.get("dataset")
    if isinstance(spec, dict) and isinstance(spec.get("path"), str):
        training["dataset"] = {**spec, "path": PurePath(spec["path"]).name}
    return replace(design, layout=layout, training=training)


def share(root: str | Path, design: Design) -> str:
    """Write a snapshot of `design`; returns the token that names it in a link."""
    folder = Path(root) / SHARED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(16)
    write_atomic(_path(root, token), public_copy(design).to_json())
    return token


def open_shared(root: str | Path, token: str) -> Design:
    path = _path(root, token)
    if not path.is_file():
        raise ShareError("this link names no shared design (it may have been mistyped)")
    try:
        return load_design(path)
    except (DesignError, RecursionError, OSError, ValueError) as exc:
        raise ShareError(f"the shared design cannot be read: {exc}") from None
