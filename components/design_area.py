"""The Design area: one slim toolbar over the canvas (one per model), with the inspector beside it.

Presets, opening a file and importing float over the canvas in the toolbar's popovers, so the
canvas is in view from the first load.
"""

from __future__ import annotations

import streamlit as st

from builder import Analysis, Design
from builder.layers.registry import fmt_shape
from components import design_state as ds
from components import run_session as rs
from components.canvas import canvas
from components.canvas.bridge import apply_canvas_graph, canvas_data, with_positions
from components.design_io import render_open, render_save
from components.health_view import health_marks
from components.import_panel import render_import
from components.inspector import render_inspector
from components.my_designs import (
    MY_DESIGNS_POPOVER,
    render_my_designs,
)
from components.presets_gallery import PRESETS_POPOVER, render_presets
from components.problems_panel import POPOVER as PROBLEMS_POPOVER
from components.problems_panel import Checked, checked, fill_from_the_data, render_problems
from components.problems_panel import apply as apply_fix
from components.stale_design import render_stale_design
from components.ui_text import md_escape

MODEL_TABS = {"generator": "Generator", "discriminator": "Discriminator"}
APPLIED = "nb_applied"
DIRECTION = "nb_direction"
DIRECTION_LABELS = {"TB": ":material/south:", "LR": ":material/east:"}
OPEN_POPOVER = "nb_open_popover"
IMPORT_POPOVER = "nb_import_popover"
POPOVERS = (
    OPEN_POPOVER,
    IMPORT_POPOVER,
    PRESETS_POPOVER,
    PROBLEMS_POPOVER,
    MY_DESIGNS_POPOVER,
)
POPOVER_REV = "nb_popover_rev"
HISTORY_BUTTONS = (
    ("undo", ds.undo, ds.can_undo, "Ctrl+Z"),
    ("redo", ds.redo, ds.can_redo, "Ctrl+Shift+Z"),
)


def canvas_key(model: str) -> str:
    return f"nb_canvas_{model}"


def apply_canvas_state(model: str) -> None:
    """Take the graph the canvas reported for `model` into the design (once per report).

    Called once per render, at the top of the editor's (so every report is taken before
    anything is drawn from it), and by the canvas's callback, before the rerun a report starts;
    a report already taken is not taken again."""
    key = canvas_key(model)
    state = st.session_state.get(key)
    payload = state.get("graph") if isinstance(state, dict) else None
    applied = st.session_state.setdefault(APPLIED, {})
    if not isinstance(payload, dict) or applied.get(key) == payload:
        return
    applied[key] = payload
    if payload.get("rev") != ds.revision():
        return  # sent before Python replaced the canvas's graph: outdated
    node_id = payload.get("selected")
    ds.select(model, node_id if isinstance(node_id, str) else None)
    ds.commit(apply_canvas_graph(ds.current_design(), model, payload))


def _on_action(model: str) -> None:
    state = st.session_state.get(canvas_key(model))
    action = state.get("action") if isinstance(state, dict) else None
    kind = action.get("type") if isinstance(action, dict) else None
    if kind == "undo":
        ds.undo()
    elif kind == "redo":
        ds.redo()
    elif kind == "fix" and isinstance(action.get("id"), str):
        apply_fix(action["id"])


def _rename(key: str) -> None:
    if ds.is_current(key):
        ds.rename_open(str(st.session_state.get(key) or ""))


def direction() -> str:
    return st.session_state.get(DIRECTION) or "TB"


def _auto_layout() -> None:
    relaid = with_positions(ds.current_design(), relayout=True, direction=direction())
    ds.commit(relaid, reset=True, fit=True)


def _new() -> None:
    ds.new_design()
    ds.notify("success", "Started a new design. Your previous one is kept in My designs.")


def _close_popovers_on_new_revision() -> None:
    """A popover that opened a design (file, preset, import) closes once the design changed."""
    if st.session_state.get(POPOVER_REV) != ds.revision():
        st.session_state[POPOVER_REV] = ds.revision()
        for key in POPOVERS:
            st.session_state[key] = False


def render_toolbar(design: Design, state: Checked) -> None:
    """One slim row over the canvas; what opens things floats over it (popovers)."""
    _close_popovers_on_new_revision()
    with st.container(horizontal=True, vertical_alignment="center", gap="xsmall", key="nb_toolbar"):
        key = ds.widget_key("name")
        st.text_input(
            "Design name",
            value=design.name,
            key=key,
            on_change=_rename,
            args=(key,),
            label_visibility="collapsed",
            placeholder="Design name",
            width=150,
        )
        st.button("New", on_click=_new, icon=":material/add:", key="nb_new_btn")
        render_my_designs()
        with st.popover("Open", icon=":material/folder_open:", key=OPEN_POPOVER, on_change="rerun"):
            render_open()
        render_save(design)
        with st.popover("Import", icon=":material/input:", key=IMPORT_POPOVER, on_change="rerun"):
            render_import()
        with st.popover(
            "Presets", icon=":material/auto_awesome:", key=PRESETS_POPOVER, on_change="rerun"
        ):
            render_presets()
        for name, action, possible, keys in HISTORY_BUTTONS:
            st.button(
                "",  # icon only: the toolbar stays one row at 1280 px
                on_click=action,
                disabled=not possible(),
                icon=f":material/{name}:",
                key=f"nb_{name}_btn",
                help=f"{name.title()} ({keys} on the canvas)",
            )
        st.button(
            "",  # icon only, like undo/redo: the toolbar stays one row at 1280 px
            on_click=_auto_layout,
            icon=":material/account_tree:",
            key="nb_layout_btn",
            help="Auto-layout: place the layers in tidy rows",
        )
        st.segmented_control(
            "Layout direction",
            DIRECTION_LABELS,
            default="TB",
            required=True,
            format_func=DIRECTION_LABELS.get,
            key=DIRECTION,
            on_change=_auto_layout,
            label_visibility="collapsed",
            help="Lay the layers out top to bottom, or left to right",
        )
        render_problems(state)


def _sink_and_input(design: Design, analysis: Analysis):
    """The generator's output shape and the discriminator's Input shape (None: not known)."""
    out = analysis.shapes.get("generator", {}).get(design.models["generator"].output_node)
    inp = analysis.shapes.get("discriminator", {}).get(design.models["discriminator"].input_node)
    return out, inp


def render_gan_contract(design: Design, analysis: Analysis) -> None:
    out, inp = _sink_and_input(design, analysis)
    shown_out = fmt_shape(out) if out is not None else "?"
    shown_in = fmt_shape(inp) if inp is not None else "?"
    text = f"Generator output {shown_out} → Discriminator input {shown_in}"
    if out is not None and out == inp:
        st.caption(md_escape(f"Shape contract holds: {text}"))
    else:
        st.warning(md_escape(f"Shape contract: {text}; they must be equal"))


def _health_marks() -> dict | None:
    """The health marks of the open design's watched run (none from another design's run)."""
    run_id = rs.watched(ds.design_id())
    run = rs.store().get_run(run_id) if run_id is not None else None
    if run is None or run.get("design_id") != ds.design_id():
        return None
    return health_marks(run_id)


def render_model(model: str, state: Checked) -> None:
    design = ds.current_design()
    left, right = st.columns([4, 1])
    with left:
        data = canvas_data(
            design,
            model,
            state.analysis,
            rev=ds.revision(),
            selected=ds.selected(model),
            fit=ds.wants_fit(),
            fixes=state.fixes,
            direction=direction(),
            health=_health_marks() if model == "model" else None,
        )
        canvas(
            key=canvas_key(model),
            data=data,
            on_graph_change=lambda: apply_canvas_state(model),
            on_action_change=lambda: _on_action(model),
        )
    with right:
        render_inspector(model)


def render_design_area() -> None:
    render_editor()


def render_notices() -> None:
    notices = st.container()  # always there: elements below keep their place (no remount)
    for level, text in ds.pop_notices():
        if level in ("info", "success"):
            st.toast(md_escape(text), icon=":material/check:")
        else:
            getattr(notices, level)(md_escape(text))


@st.fragment
def render_editor() -> None:
    """Toolbar, canvas and inspector: an edit (opening a file or preset included, from the
    toolbar's popovers) reruns only this part of the page, so its notices show here."""
    for model in ds.current_design().models:
        apply_canvas_state(model)
    fill_from_the_data()
    render_notices()
    render_stale_design()
    design = ds.current_design()
    state = checked(design)
    render_toolbar(design, state)
    if design.is_gan:
        render_gan_contract(design, state.analysis)
        tabs = st.tabs(list(MODEL_TABS.values()), key="nb_model_tab", on_change="rerun")
        for tab, model in zip(tabs, MODEL_TABS, strict=True):
            if tab.open is not False:
                with tab:
                    render_model(model, state)
    else:
        render_model("model", state)
