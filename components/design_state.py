"""The design in session state: the single source of truth, its undo history, and autosave.

Every change goes through `commit` (or `undo`/`redo`), which records history and writes the
design to `workspace_dir()/design.json`, so a browser refresh or an app restart loses nothing.
The autosaved file is read like any uploaded file: a bad one is set aside, never trusted.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from builder import Analysis, Design, DesignError, Graph, Problem, analyze, load_design
from builder.design.settings import training_defaults
from builder.runs.workspace import workspace_dir
from components.canvas.bridge import with_positions

DESIGN = "nb_design"
UNDO = "nb_undo"
REDO = "nb_redo"
REV = "nb_rev"
FIT_REV = "nb_fit_rev"
SELECTED = "nb_selected"
NOTICE = "nb_notice"
ANALYSIS = "nb_analysis"
HISTORY_LIMIT = 100
AUTOSAVE_NAME = "design.json"
UNREADABLE_NAME = "design.unreadable.json"


def empty_design() -> Design:
    return Design(name="untitled", models={"model": Graph()}, training=training_defaults())


def autosave_path() -> Path:
    return workspace_dir() / AUTOSAVE_NAME


def load_autosave(path: Path | None = None) -> tuple[Design | None, str | None]:
    """The autosaved design, or (None, why) when there is none or it cannot be used.

    An unreadable file is moved aside (not overwritten by the next autosave) and named
    in the message, so the user can still recover it.
    """
    path = path or autosave_path()
    if not path.exists() and not path.is_symlink():
        return None, None
    try:
        return with_positions(load_design(path)), None
    except (DesignError, RecursionError, OSError, ValueError) as exc:
        reason = str(exc)
    aside = path.with_name(UNREADABLE_NAME)
    try:
        os.replace(path, aside)
        where = f"it was moved to {aside}"
    except OSError:
        where = f"it was left at {path}"
    return None, f"The autosaved design could not be read ({reason}); {where}. Started empty."


def autosave(design: Design, path: Path | None = None) -> str | None:
    """Write the design atomically; return why it failed, or None."""
    tmp = None
    try:
        path = path or autosave_path()
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(design.to_json(), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)  # a full disk leaves no partial file behind
        return f"Could not autosave the design: {exc.strerror or exc}"
    return None


def _init() -> None:
    design, notice = load_autosave()
    st.session_state[DESIGN] = design or empty_design()
    st.session_state[UNDO] = []
    st.session_state[REDO] = []
    st.session_state[REV] = 1
    st.session_state[FIT_REV] = 1
    st.session_state[SELECTED] = {}
    if notice:
        notify("warning", notice)


def current_design() -> Design:
    """The design being edited (immutable: derive a new one and `commit` it)."""
    if DESIGN not in st.session_state:
        _init()
    return st.session_state[DESIGN]


def current_analysis() -> Analysis:
    """`builder.analyze` of the current design, computed once per design."""
    design = current_design()
    cached = st.session_state.get(ANALYSIS)
    if cached is None or cached[0] is not design:
        try:
            result = analyze(design)
        except Exception as exc:  # a bug must not put a traceback on the page
            result = Analysis(problems=[Problem(f"could not analyze the design: {exc}")])
        cached = (design, result)
        st.session_state[ANALYSIS] = cached
    return cached[1]


def widget_key(*parts: object) -> str:
    """A widget key tied to the current revision: fresh widgets after open/undo/redo."""
    return ":".join(["nb", str(revision()), *map(str, parts)])


def is_current(key: str) -> bool:
    """False for a widget of an earlier revision (Streamlit may still call back for it)."""
    return key.startswith(f"nb:{revision()}:")


def revision() -> int:
    """Bumped whenever Python replaces what the canvas shows (open, preset, undo, layout)."""
    current_design()
    return st.session_state[REV]


def wants_fit() -> bool:
    return st.session_state.get(FIT_REV) == revision()


def _set(design: Design, *, reset: bool, fit: bool) -> None:
    st.session_state[DESIGN] = design
    if reset:
        st.session_state[REV] += 1
        if fit:
            st.session_state[FIT_REV] = st.session_state[REV]
    notice = autosave(design)
    if notice:
        notify("error", notice)


def commit(design: Design, *, reset: bool = False, fit: bool = False) -> bool:
    """Make `design` current, undoably. `reset` re-seeds the canvas from the design."""
    old = current_design()
    if design == old:
        return False
    undo = st.session_state[UNDO]
    undo.append(old)
    del undo[:-HISTORY_LIMIT]
    st.session_state[REDO] = []
    _set(design, reset=reset, fit=fit)
    return True


def replace_design(design: Design) -> None:
    """Open another design (file or preset): undoable, canvas re-seeded and fitted."""
    commit(with_positions(design), reset=True, fit=True)
    st.session_state[SELECTED] = {}


def can_undo() -> bool:
    current_design()
    return bool(st.session_state[UNDO])


def can_redo() -> bool:
    current_design()
    return bool(st.session_state[REDO])


def undo() -> None:
    if can_undo():
        st.session_state[REDO].append(current_design())
        _set(st.session_state[UNDO].pop(), reset=True, fit=False)


def redo() -> None:
    if can_redo():
        st.session_state[UNDO].append(current_design())
        _set(st.session_state[REDO].pop(), reset=True, fit=False)


def selected(model: str) -> str | None:
    current_design()
    return st.session_state[SELECTED].get(model)


def select(model: str, node_id: str | None) -> None:
    current_design()
    st.session_state[SELECTED][model] = node_id


def notify(level: str, text: str) -> None:
    """Queue a message ("info", "success", "warning" or "error") for the next page render."""
    st.session_state.setdefault(NOTICE, []).append((level, text))


def pop_notices() -> list[tuple[str, str]]:
    return st.session_state.pop(NOTICE, [])
