"""A person for AppTest pages: the key a browser would have handed over, and their folder.

AppTest runs no browser, so no component can say the browser's key; a test seeds the session
with it, which is what the key component does in a real page."""

from __future__ import annotations

from pathlib import Path

from builder.people.designs import DesignLibrary
from builder.people.keys import person_dir
from components.design_state import DESIGN_ID
from components.person import PERSON

KEY = "apptest-person-0000000000000000000"


def folder(root: Path, key: str = KEY) -> Path:
    return person_dir(root, key)


def as_person(at, key: str = KEY):
    at.session_state[PERSON] = key
    return at


def saved_design(root_or_folder: Path, at):
    """The open design as its document file holds it (what autosave wrote)."""
    base = Path(root_or_folder)
    if (base / "people").is_dir():
        base = folder(base)
    return DesignLibrary(base).load(at.session_state[DESIGN_ID])
