"""One boundary between a person's file and the page: whatever goes wrong while importing,
uploading or previewing a file becomes a message that names the file, never a traceback.

The message is the only thing the page shows of the failure, so it says nothing of the server:
paths are cut to their last part and the person's key (it names their folder, and alone opens
their workspace) is taken out.  The whole story goes to the server's log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st

from builder.data import DataError
from builder.errors import DesignError
from builder.people.keys import is_key
from components.person import PERSON

log = logging.getLogger("netbuilder.page")

# Failures that are about the file (an import refused is a DesignError), whose messages were
# written for the person: shown as they are.  Anything else is a fault, named by its type.
EXPECTED = (DataError, DesignError)
# An absolute path: a slash that starts a word (not one inside a URL or a fraction), and on.
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])~?/[^\s'\"()<>,;:*?|]+")
MAX_MESSAGE = 600


@dataclass
class Outcome:
    """What the boundary saw: the message when the work inside it failed, else None."""

    message: str | None = None

    @property
    def failed(self) -> bool:
        return self.message is not None


def _last_part(match: re.Match) -> str:
    parts = [p for p in match.group(0).split("/") if p]
    return parts[-1] if parts else ""


def scrubbed(text: str, key: str | None = None) -> str:
    """`text` without server paths (each cut to its last part) and without the person's key."""
    text = ABSOLUTE_PATH.sub(_last_part, str(text))
    if key is None:
        try:
            key = st.session_state.get(PERSON)
        except Exception:  # outside a page (a test, a script): there is no key to hide
            key = None
    if is_key(key):
        text = text.replace(key, "…")
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text


def failure_message(exc: BaseException, file_name: str, doing: str) -> str:
    """What the page says of `exc`, met while trying to `doing` the file `file_name`."""
    if isinstance(exc, MemoryError):
        text = f"{file_name}: too large to {doing} in this server's memory"
    elif isinstance(exc, EXPECTED) and str(exc):
        text = str(exc)
    else:
        detail = f": {exc}" if str(exc) else ""
        text = f"{file_name}: could not {doing} it ({type(exc).__name__}{detail})"
    if file_name not in text:
        text = f"{file_name}: {text}"
    return scrubbed(text)


@contextmanager
def file_boundary(
    file_name: str, doing: str, show: Callable[[str], None] | None = None
) -> Iterator[Outcome]:
    """Run the block; any exception in it becomes `outcome.message` (and is handed to `show`),
    so the caller carries on with a message instead of a traceback.  Streamlit's own reruns
    and stops are BaseExceptions and pass through."""
    outcome = Outcome()
    try:
        yield outcome
    except Exception as exc:
        if not isinstance(exc, EXPECTED):
            log.exception("could not %s %s", doing, file_name)
        outcome.message = failure_message(exc, file_name, doing)
        if show is not None:
            show(outcome.message)
