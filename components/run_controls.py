"""Train / Pause / Resume / Stop: the run in its own process, through builder.runs.worker."""

from __future__ import annotations

import streamlit as st

from builder.importers.saved import imported_weights
from components import design_state as ds
from components import person
from components import run_session as rs
from components.ui_text import md_escape

FROM_IMPORT = "nb_from_import"


def _train() -> None:
    design = ds.current_design()
    start = (
        imported_weights(design, person.folder())
        if st.session_state.get(FROM_IMPORT, True)
        else None
    )
    try:
        rs.start(design, ds.design_id(), initial_weights=start)
    except Exception as exc:  # e.g. the workspace cannot be written
        ds.notify("error", f"Could not start training: {exc}")
        st.rerun()  # the whole page, where notices are shown


def _toggle_pause(run_id: int) -> None:
    if rs.is_paused(run_id):
        rs.resume(run_id)
    else:
        rs.pause(run_id)


def blocking_reason(problems: dict[str, list[str]]) -> str | None:
    """Why Train is disabled, in one line, or None: a refused field is named with its value's
    problem; more than one are counted."""
    refused = problems.get("fields") or []
    count = sum(len(v) for v in problems.values())
    if not count:
        return None
    if count == 1 and refused:
        return f"Train waits for {refused[0]}"
    named = f" ({'; '.join(refused)})" if refused else ""
    return (
        f"{count} setting{'s' if count != 1 else ''} must change before training{named}"
        " — see the messages at the controls"
    )


def render_run_buttons(problems: dict[str, list[str]], run_id: int | None, active: bool) -> None:
    paused = active and rs.is_paused(run_id)
    waiting = rs.place(run_id) is not None
    reason = blocking_reason(problems)
    with st.container(horizontal=True, key="nb_run_buttons"):
        st.button(
            "Train",
            type="primary",
            icon=":material/play_arrow:",
            key="nb_train",
            on_click=_train,
            disabled=active or reason is not None,
            help="Train a copy of the design in its own process; editing the design meanwhile does not touch the run",
        )
        st.button(
            "Resume" if paused else "Pause",
            icon=":material/play_circle:" if paused else ":material/pause:",
            key="nb_pause",
            on_click=_toggle_pause,
            args=(run_id,),
            disabled=not active or waiting,
        )
        st.button(
            "Stop",  # one label: a widget that changed its label would be a new widget
            icon=":material/stop:",
            key="nb_stop",
            on_click=rs.stop,
            args=(run_id,),
            disabled=not active,
            help="Stop now; the weights trained so far are kept (a waiting run leaves the line)",
        )
    if reason and not active:
        st.caption(md_escape(reason))
    if imported_weights(ds.current_design(), person.folder()) is not None:
        st.checkbox(
            "Start from the imported weights",
            value=True,
            key=FROM_IMPORT,
            disabled=active,
            help="Train on from the weights the model was imported with, not from fresh ones",
        )
