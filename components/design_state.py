"""The open design in session state: the single source of truth, its undo history, autosave.

Each design is a document of the person's (builder.people.designs) with its own id, and the
open one's id is in the page's address (`?design=<id>`): a reload, a bookmark or a second tab
comes back to exactly that design.  Every change goes through `commit` (or `undo`/`redo`), which
records history and saves the document atomically.  Opening a preset, a file, an imported model
or a shared link, or pressing New, makes a new document; it never overwrites the open one.
Design files are read like any uploaded file: a bad one is set aside, never trusted; and an
edit that would save a file loading refuses is not applied (the last good design stays).

Two tabs may edit one design.  The page remembers which revision of the document its design is
based on and every autosave says so; when the other tab saved in between, nothing is
overwritten: the page keeps its edit, unsaved, and offers the newer version or a copy.
"""

from __future__ import annotations

import json
from dataclasses import replace

import streamlit as st

from builder import Analysis, Design, Graph, Problem, analyze
from builder.design.settings import training_defaults
from builder.design.spec import DesignError
from builder.people.designs import DesignLibrary, DocumentError, StaleDesign, is_design_id
from builder.people.shares import ShareError, open_shared
from builder.runs.workspace import workspace_dir
from components import person
from components.canvas.bridge import with_positions

DESIGN = "nb_design"
DESIGN_ID = "nb_design_id"
UNDO = "nb_undo"
REDO = "nb_redo"
REV = "nb_rev"
FIT_REV = "nb_fit_rev"
SELECTED = "nb_selected"
NOTICE = "nb_notice"
BASE = "nb_base_revision"  # the document's revision the page's design is based on
CONFLICT = "nb_conflict"  # StaleDesign of the open design's last autosave, until resolved
HISTORY_LIMIT = 100
ANALYSES = 256  # designs whose analysis the server keeps (each a few kB)
ID_PARAM = "design"
SHARED_PARAM = "shared"


def empty_design() -> Design:
    return Design(name="untitled", models={"model": Graph()}, training=training_defaults())


def library() -> DesignLibrary:
    """The person's designs."""
    return DesignLibrary(person.folder())


Opened = tuple[str, Design, int | None]  # a document's id, design and revision


def _readable(lib: DesignLibrary, design_id: str) -> tuple[Design, int] | None:
    """The document's design and revision, or None (and a notice) when its file cannot be
    used; such a file is set aside, so it neither hides the person's other designs nor gets
    overwritten.  The notice names no place on the server: the folder's name is the person's
    key, and the key alone opens their workspace."""
    try:
        design, revision = lib.open(design_id)
    except DocumentError as exc:
        aside = lib.set_aside(design_id)
        where = (
            f"its file was kept beside your designs as {aside.name}"
            if aside
            else "its file was left where it was"
        )
        notify("warning", f"{exc}; {where}.")
        return None
    return with_positions(design), revision


def _first_design() -> Opened:
    """What a fresh page opens: a shared link's copy, the address's design, else the person's
    most recently edited one, else a new empty design."""
    lib = library()
    params = st.query_params
    token = params.get(SHARED_PARAM)
    if token is not None:
        try:
            shared = with_positions(open_shared(workspace_dir(), token))
        except ShareError as exc:
            notify("error", f"Could not open the shared design: {exc}.")
        else:
            notify("success", f"Opened your own copy of the shared design “{shared.name}”.")
            return lib.create(shared), shared, 1
    wanted = params.get(ID_PARAM)
    if wanted is not None:
        if lib.exists(wanted):
            found = _readable(lib, wanted)
            if found is not None:
                return wanted, *found
        else:
            shown = wanted if is_design_id(wanted) else "in this link"
            notify("warning", f"There is no design {shown} in your designs; opened your latest.")
    for card in lib.list():
        found = _readable(lib, card["id"])
        if found is not None:
            return card["id"], *found
    design = empty_design()
    return lib.create(design), design, 1


def _show(design_id: str, design: Design, base: int | None) -> None:
    """Make `design_id` the open document: fresh history, canvas re-seeded and fitted."""
    st.session_state[DESIGN] = design
    st.session_state[DESIGN_ID] = design_id
    st.session_state[BASE] = base
    st.session_state.pop(CONFLICT, None)
    st.session_state[UNDO] = []
    st.session_state[REDO] = []
    st.session_state[REV] = st.session_state.get(REV, 0) + 1
    st.session_state[FIT_REV] = st.session_state[REV]
    st.session_state[SELECTED] = {}
    _address(design_id)


def _address(design_id: str) -> None:
    if st.query_params.get(ID_PARAM) != design_id or SHARED_PARAM in st.query_params:
        st.query_params.from_dict({ID_PARAM: design_id})


def _init() -> None:
    _show(*_first_design())


def design_id() -> str:
    """The open document's id."""
    current_design()
    return st.session_state[DESIGN_ID]


def current_design() -> Design:
    """The design being edited (immutable: derive a new one and `commit` it)."""
    if DESIGN not in st.session_state:
        _init()
    return st.session_state[DESIGN]


def design_key(design: Design) -> str:
    """Everything a design is, as text: what a cache of something derived from it is keyed by."""
    return json.dumps(design.to_dict(), sort_keys=True)


def _models_key(design: Design) -> str:
    # The analysis reads the models alone: moving a node or renaming the design keeps it.
    return json.dumps({m: g.to_dict() for m, g in design.models.items()}, sort_keys=True)


@st.cache_resource(max_entries=ANALYSES, show_spinner=False, hash_funcs={Design: _models_key})
def analysis_of(design: Design) -> Analysis:
    """`builder.analyze` of a design, computed once per design (shared, so never changed)."""
    try:
        return analyze(design)
    except Exception as exc:  # a bug must not put a traceback on the page
        return Analysis(problems=[Problem(f"could not analyze the design: {exc}")])


def current_analysis() -> Analysis:
    """`builder.analyze` of the current design."""
    return analysis_of(current_design())


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


def _reseed(fit: bool = False) -> None:
    """Have the canvas show the design in session state again (it may show something else)."""
    st.session_state[REV] += 1
    if fit:
        st.session_state[FIT_REV] = st.session_state[REV]


def _set(design: Design, *, reset: bool, fit: bool) -> bool:
    """Save `design` and make it current; False (and a notice naming the field) when it is
    one that loading would refuse: then the last good design stays, on the page and on disk."""
    design_id = st.session_state[DESIGN_ID]
    try:
        revision = library().save(design_id, design, base=st.session_state.get(BASE))
    except StaleDesign as exc:  # another tab saved: keep this edit on the page, unsaved
        st.session_state[CONFLICT] = exc
    except DesignError as exc:
        notify("error", f"That change was not applied: {exc}. The design is as it was before.")
        _reseed()  # the canvas shows the refused edit: show it the last good design again
        return False
    except OSError as exc:  # a full disk: the design stays on the page, and the person is told
        notify("error", f"Could not autosave the design: {exc.strerror or exc}")
    else:
        st.session_state[BASE] = revision
    st.session_state[DESIGN] = design
    if reset:
        _reseed(fit)
    _address(design_id)
    return True


def commit(design: Design, *, reset: bool = False, fit: bool = False) -> bool:
    """Make `design` current, undoably. `reset` re-seeds the canvas from the design."""
    old = current_design()
    if design == old or not _set(design, reset=reset, fit=fit):
        return False
    undo = st.session_state[UNDO]
    undo.append(old)
    del undo[:-HISTORY_LIMIT]
    st.session_state[REDO] = []
    return True


def conflict() -> StaleDesign | None:
    """Why the open design's last autosave was refused (another tab saved or deleted it)."""
    found = st.session_state.get(CONFLICT)
    return found if found is not None and found.design_id == design_id() else None


def replace_design(design: Design) -> str | None:
    """Open `design` (a file, a preset, an imported model) as a new document of its own; the
    design that was open stays as it was, in My designs.  Returns the new id, or None (and a
    notice naming the field) when it could not be saved, e.g. past a design's limits."""
    design = with_positions(design)
    try:
        new_id = library().create(design)
    except (DesignError, OSError) as exc:
        shown = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        notify("error", f"Could not open it as a design; the current one is unchanged: {shown}")
        return None
    _show(new_id, design, 1)
    return new_id


def new_design() -> str:
    return replace_design(empty_design())


def open_document(wanted: str) -> bool:
    """Open one of the person's designs; False (and a notice) when it cannot be."""
    lib = library()
    if not lib.exists(wanted):
        notify("error", "That design is not in your designs any more.")
        return False
    found = _readable(lib, wanted)
    if found is None:
        return False
    _show(wanted, *found)
    return True


def rename_open(name: str) -> None:
    commit(replace(current_design(), name=(name.strip() or "untitled")[:120]))


def delete_document(doomed: str) -> None:
    """Move a design to the trash; the open one is replaced by the next most recent."""
    lib = library()
    lib.delete(doomed)
    if doomed == st.session_state.get(DESIGN_ID):
        for card in lib.list():
            if open_document(card["id"]):
                return
        new_design()


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
