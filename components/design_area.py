"""The Design area: toolbar, presets, problems, the canvas (one per model) and the inspector."""

from __future__ import annotations

import streamlit as st

from builder import Analysis, Design
from builder.layers.registry import fmt_shape
from components import design_state as ds
from components.canvas import canvas
from components.canvas.bridge import apply_canvas_graph, canvas_data, with_positions
from components.design_io import render_open, render_save
from components.import_panel import render_import
from components.inspector import render_inspector
from components.my_designs import render_my_designs, render_share
from components.presets_gallery import PRESETS_OPEN, render_presets
from components.ui_text import md_escape

MODEL_TABS = {"generator": "Generator", "discriminator": "Discriminator"}
APPLIED = "nb_applied"
PROBLEMS_HEIGHT = 130


def canvas_key(model: str) -> str:
    return f"nb_canvas_{model}"


def apply_canvas_state(model: str) -> None:
    """Take the graph the canvas reported for `model` into the design (once per report)."""
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


def _rename(key: str) -> None:
    if ds.is_current(key):
        ds.rename_open(str(st.session_state.get(key) or ""))


def _auto_layout() -> None:
    ds.commit(with_positions(ds.current_design(), relayout=True), reset=True, fit=True)


def render_toolbar(design: Design) -> None:
    cols = st.columns([3, 1.3, 1.3, 1, 1, 1.4, 1], vertical_alignment="bottom")
    key = ds.widget_key("name")
    cols[0].text_input("Design name", value=design.name, key=key, on_change=_rename, args=(key,))
    with cols[1]:
        render_my_designs()
    with cols[2]:
        render_share()
    cols = cols[2:]
    cols[1].button(
        "Undo",
        on_click=ds.undo,
        disabled=not ds.can_undo(),
        icon=":material/undo:",
        key="nb_undo_btn",
    )
    cols[2].button(
        "Redo",
        on_click=ds.redo,
        disabled=not ds.can_redo(),
        icon=":material/redo:",
        key="nb_redo_btn",
    )
    cols[3].button(
        "Auto-layout", on_click=_auto_layout, icon=":material/account_tree:", key="nb_layout_btn"
    )
    with cols[4]:
        render_save(design)


def render_problems(design: Design, analysis: Analysis) -> None:
    total = f"{analysis.total_params:,} trainable parameters"
    box = st.container(height=PROBLEMS_HEIGHT, border=False)  # fixed: the canvas must not jump
    if not analysis.problems:
        box.success(f"No problems · {total}", icon=":material/check_circle:")
        return
    lines = [f"- {md_escape(p)}" for p in analysis.problems[:12]]
    if len(analysis.problems) > 12:
        lines.append(f"- … and {len(analysis.problems) - 12} more")
    box.error(
        f"**{len(analysis.problems)} problem(s)** · {total}\n\n" + "\n".join(lines),
        icon=":material/error:",
    )


def _sink_and_input(design: Design, analysis: Analysis):
    gen, disc = design.models["generator"], design.models["discriminator"]
    gen_shapes = analysis.shapes.get("generator", {})
    sources = {s for s, _ in gen.edges}
    sinks = [n.id for n in gen.nodes if n.id not in sources and n.type != "Input"]
    out = gen_shapes.get(sinks[-1]) if sinks else None
    disc_input = next((n for n in disc.nodes if n.type == "Input"), None)
    inp = analysis.shapes.get("discriminator", {}).get(disc_input.id) if disc_input else None
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


def render_model(model: str) -> None:
    apply_canvas_state(model)
    design = ds.current_design()
    analysis = ds.current_analysis()
    left, right = st.columns([3, 1])
    with left:
        data = canvas_data(
            design,
            model,
            analysis,
            rev=ds.revision(),
            selected=ds.selected(model),
            fit=ds.wants_fit(),
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
    design = ds.current_design()  # a fresh page opens its design here
    ds.take_switched()  # this whole-page run already shows whichever design is open
    for model in design.models:
        apply_canvas_state(model)
    notices = st.container()  # always there: elements below keep their place (no remount)
    for level, text in ds.pop_notices():
        if level in ("info", "success"):
            st.toast(md_escape(text), icon=":material/check:")
        else:
            getattr(notices, level)(md_escape(text))
    if PRESETS_OPEN not in st.session_state:  # open at first for an empty design
        st.session_state[PRESETS_OPEN] = not any(
            g.nodes for g in ds.current_design().models.values()
        )
    # Its open state is kept under a key: an `expanded=` that follows the design would make a
    # new expander (closing it under the user's pointer) whenever the design stops being empty.
    with st.expander(
        "Presets", key=PRESETS_OPEN, on_change="rerun", icon=":material/auto_awesome:"
    ):
        render_presets()
    with st.expander("Open a design file", icon=":material/upload_file:"):
        render_open()
    with st.expander("Import a model", icon=":material/input:"):
        render_import()
    render_editor()


@st.fragment
def render_editor() -> None:
    """Toolbar, problems, canvas and inspector: an edit reruns only this part of the page."""
    for model in ds.current_design().models:
        apply_canvas_state(model)
    design = ds.current_design()
    render_toolbar(design)
    render_problems(design, ds.current_analysis())
    if design.is_gan:
        render_gan_contract(design, ds.current_analysis())
        tabs = st.tabs(list(MODEL_TABS.values()), key="nb_model_tab", on_change="rerun")
        for tab, model in zip(tabs, MODEL_TABS, strict=True):
            if tab.open is not False:
                with tab:
                    render_model(model)
    else:
        render_model("model")
    if ds.take_switched():  # My designs opened another design: the whole page follows it
        st.rerun(scope="app")
