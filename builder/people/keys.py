"""Who a page belongs to, as a folder: a browser's random key, or a signed-in user's id.

A key arrives from the browser and a user id from the identity provider; both are hostile text
until checked here.  Only keys of the expected form name a folder, and a signed-in user's folder
is a hash of the id, so no key or id can name a path outside the workspace root.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

PEOPLE_DIR = "people"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,64}")
KEY_BYTES = 24  # 32 URL-safe characters, 192 random bits: not guessable, not enumerable


class PersonError(ValueError):
    """A key or user id that names no person's folder."""


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def is_key(text: object) -> bool:
    return isinstance(text, str) and KEY_PATTERN.fullmatch(text) is not None


def user_key(issuer: str | None, subject: str) -> str:
    """The folder name of a signed-in user: the same on every browser, and one-way."""
    if not isinstance(subject, str) or not subject:
        raise PersonError("the signed-in user has no id")
    digest = hashlib.sha256(f"{issuer or ''}\n{subject}".encode()).hexdigest()
    return f"user-{digest[:40]}"


def person_dir(root: str | Path, key: str) -> Path:
    """`root/people/<key>`, created on demand; PersonError for anything that is not a key."""
    if not is_key(key):
        raise PersonError(f"not a workspace key: {str(key)[:80]!r}")
    base = (Path(root) / PEOPLE_DIR).resolve()
    folder = (base / key).resolve()
    if folder.parent != base:  # the pattern already rules this out; a second lock on the door
        raise PersonError(f"not a workspace key: {key[:80]!r}")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
