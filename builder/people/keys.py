"""Who a page belongs to, as a folder: a browser's random key, or a signed-in user's id.

A key arrives from the browser and a user id from the identity provider; both are hostile text
until checked here.  Only keys of the expected form name a folder, and a signed-in user's folder
is a hash of the id, so no key or id can name a path outside the workspace root.

The two forms never overlap, and each belongs to one mode: a browser's key never starts with
`user-`, so with sign-in off no browser can name a signed-in user's folder (one left from a time
sign-in was on), and with sign-in on only a folder made from the signed-in id is used.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

PEOPLE_DIR = "people"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,64}")
KEY_BYTES = 24  # 32 URL-safe characters, 192 random bits: not guessable, not enumerable
USER_PREFIX = "user-"
USER_KEY_PATTERN = re.compile(r"user-[0-9a-f]{40}")


class PersonError(ValueError):
    """A key or user id that names no person's folder."""


def new_key() -> str:
    """A browser's key: random, and never of the signed-in form."""
    while True:
        key = secrets.token_urlsafe(KEY_BYTES)
        if is_browser_key(key):
            return key


def is_key(text: object) -> bool:
    """Any folder name of a person (either form)."""
    return isinstance(text, str) and KEY_PATTERN.fullmatch(text) is not None


def is_browser_key(text: object) -> bool:
    """A key a browser may hand over when sign-in is off."""
    return is_key(text) and not text.startswith(USER_PREFIX)


def is_user_key(text: object) -> bool:
    """A signed-in user's folder name (`user_key`)."""
    return isinstance(text, str) and USER_KEY_PATTERN.fullmatch(text) is not None


def is_key_for(text: object, signed_in: bool) -> bool:
    """Whether `text` names a folder in this mode: a user's with sign-in, a browser's without."""
    return is_user_key(text) if signed_in else is_browser_key(text)


def user_key(issuer: str | None, subject: str) -> str:
    """The folder name of a signed-in user: the same on every browser, and one-way."""
    if not isinstance(subject, str) or not subject:
        raise PersonError("the signed-in user has no id")
    digest = hashlib.sha256(f"{issuer or ''}\n{subject}".encode()).hexdigest()
    return f"{USER_PREFIX}{digest[:40]}"


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
