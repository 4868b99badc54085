"""Train-form fields that show the stored value and nothing else.

Each field has one key; before it is drawn its state is set from the design, so a value changed
elsewhere (another field's change, undo, another design) shows at once and a widget never keeps
a stale value.  A value the checks refuse stays in its field as a draft, marked invalid right
below it, and holds Train back: the run never trains on a value other than the one shown.
Fields take no bounds from the browser (it would silently keep an out-of-range value to itself);
the bounds are in the help and checked here, with the design's own checks.
"""

from __future__ import annotations

import streamlit as st

from builder.params import Param
from components import design_state as ds
from components.ui_text import md_escape

DRAFTS = "nb_train_drafts"
LABELS: dict[str, str] = {}  # field -> the label shown, for the reasons Train gives


def key(field: str) -> str:
    return f"nb_tr:{field}"


def _drafts() -> dict:
    """The refused values of the open design's form (forgotten when another design, an undo or
    an opened file replaces what the page shows)."""
    owner = (ds.design_id(), ds.revision())
    found = st.session_state.get(DRAFTS)
    if not found or found["owner"] != owner:
        found = {"owner": owner, "fields": {}}
        st.session_state[DRAFTS] = found
    return found["fields"]


def refuse(field: str, value, reason: str) -> None:
    _drafts()[field] = (value, reason)


def accept(*fields: str) -> None:
    """The stored value is what these fields show again."""
    drafts = _drafts()
    for field in fields:
        drafts.pop(field, None)


def show(field: str, stored, label: str) -> None:
    """Set what the field shows before it is drawn: its refused draft, else the stored value."""
    LABELS[field] = label
    draft = _drafts().get(field)
    st.session_state[key(field)] = draft[0] if draft else stored


def mark(field: str) -> None:
    """The field's refusal, as a visible message right under it."""
    draft = _drafts().get(field)
    if draft:
        st.error(md_escape(draft[1]), icon=":material/error:")


def reasons() -> list[str]:
    """Why Train waits, one line per refused field, naming it."""
    return [f"{LABELS.get(field, field)}: {reason}" for field, (_, reason) in _drafts().items()]


def bounds_text(param: Param) -> str:
    """'more than 0, at most 10': a number field's limits, for its help."""
    parts = []
    if param.min is not None:
        parts.append(f"{'more than' if param.min_exclusive else 'at least'} {param.min:g}")
    if param.max is not None:
        parts.append(f"{'less than' if param.max_exclusive else 'at most'} {param.max:g}")
    return ", ".join(parts)
