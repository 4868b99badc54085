"""The inspector: a form for the selected node, generated from the layer registry's schemas.

Each param gets a widget by its schema type (int/float: number, bool: checkbox, choice:
dropdown, shape: text). A value `builder.validate_param` refuses is not applied: the field
shows the reason and the design keeps its value.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from builder import validate_param
from builder.params import Param
from components import design_state as ds
from components.canvas.bridge import kinds_by_type
from components.ui_text import md_escape

FIELD_ERRORS = "nb_field_errors"


def parse_field(param: dict, raw):
    """The value a widget holds, as the design stores it; (value, reason-if-unparseable)."""
    if param["type"] == "shape":
        text = str(raw or "").strip().strip("[]()")
        if not text:
            return None, "expected whole numbers separated by commas, like 1, 28, 28"
        try:
            return [int(part) for part in text.replace(",", " ").split()], None
        except ValueError:
            return None, f"expected whole numbers separated by commas, like 1, 28, 28; got {raw!r}"
    if param["type"] in ("int", "float"):
        if isinstance(raw, str) and not raw.strip() and param["nullable"]:
            return None, None  # an emptied field: none
        declared = Param(param["name"], param["type"], param["default"], param["help"])
        return declared.number_from(raw)  # the reading design files share: 1e3 is 1000
    return raw, None


def set_param(model: str, node_id: str, name: str, raw) -> str | None:
    """Apply one edited field to the design; return why it was refused, or None."""
    design = ds.current_design()
    graph = design.models.get(model)
    node = graph.node(node_id) if graph else None
    if node is None:
        return f"node {node_id!r} no longer exists"
    param = next((p for p in kinds_by_type()[node.type]["params"] if p["name"] == name), None)
    if param is None:
        return f"{node.type} has no param {name!r}"
    value, reason = parse_field(param, raw)
    reason = reason or validate_param(node.type, name, value)
    if reason:
        return reason
    if value == node.params.get(name, param["default"]):
        return None
    nodes = [replace(n, params={**n.params, name: value}) if n is node else n for n in graph.nodes]
    ds.commit(design.with_model(model, replace(graph, nodes=nodes)))
    return None


def _on_field(model: str, node_id: str, name: str, key: str) -> None:
    # Streamlit also calls back for fields that just left the page (another node selected,
    # undo): only the form of the node selected now may change the design.
    if not ds.is_current(key) or ds.selected(model) != node_id:
        return
    errors = st.session_state.setdefault(FIELD_ERRORS, {})
    reason = set_param(model, node_id, name, st.session_state.get(key))
    if reason:
        errors[key] = reason
    else:
        errors.pop(key, None)
        whole, stored = _stored_whole_number(model, node_id, name)
        if whole:
            st.session_state[key] = _number_text(stored)  # "1e3" shows as the 1000 it stored


def _stored_whole_number(model: str, node_id: str, name: str) -> tuple[bool, object]:
    """Whether the param is a whole number (a text field), and the value the design holds."""
    node = ds.current_design().models[model].node(node_id)
    param = next(p for p in kinds_by_type()[node.type]["params"] if p["name"] == name)
    return param["type"] == "int", node.params.get(name, param["default"])


def _number_text(value) -> str:
    return "" if value is None else str(value)


def delete_node(model: str, node_id: str) -> None:
    design = ds.current_design()
    graph = design.models[model]
    nodes = [n for n in graph.nodes if n.id != node_id]
    edges = [e for e in graph.edges if node_id not in e]
    layout = {k: v for k, v in design.layout.items() if k != node_id}
    new = replace(design.with_model(model, replace(graph, nodes=nodes, edges=edges)), layout=layout)
    ds.commit(new, reset=True)
    ds.select(model, None)


def applies(param: dict, values: dict) -> bool:
    """Whether a param counts for a node with these values (its declaration says when it
    does: an Activation's negative_slope only for leaky_relu)."""
    when = param.get("applies_when")
    return when is None or values.get(when["param"]) in when["values"]


def _help(param: dict) -> str:
    bits = [param["help"], f"Default: {param['default']}"]
    if param["min"] is not None or param["max"] is not None:
        low = "" if param["min"] is None else f"{param['min']:g}"
        high = "" if param["max"] is None else f"{param['max']:g}"
        bits.append(f"Range: {low} … {high}")
    return md_escape(". ".join(bits))


def _field(model: str, node_id: str, param: dict, value, key: str) -> None:
    name, kind = param["name"], param["type"]
    common = {
        "label": name,
        "key": key,
        "help": _help(param),
        "on_change": _on_field,
        "args": (model, node_id, name, key),
    }
    if kind == "bool":
        st.checkbox(value=bool(value), **common)
    elif kind == "choice":
        options = list(param["choices"]) + ([None] if param["nullable"] else [])
        index = options.index(value) if value in options else 0
        st.selectbox(
            options=options,
            index=index,
            format_func=lambda v: "—" if v is None else str(v),
            **common,
        )
    elif kind == "int":
        # Text, read here: the browser's whole-number field would read "1e3" as 1 and drop
        # a fraction without a word.
        st.session_state.setdefault(key, _number_text(None if value is None else int(value)))
        st.text_input(placeholder="none" if param["nullable"] else "a whole number", **common)
    elif kind == "float":
        st.number_input(
            value=None if value is None else float(value),
            step=0.01,
            format="%g",
            placeholder="none" if param["nullable"] else None,
            **common,
        )
    else:  # shape
        text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else ""
        st.text_input(value=text, placeholder="e.g. 1, 28, 28", **common)
    reason = st.session_state.get(FIELD_ERRORS, {}).get(key)
    if reason:
        st.error(f"{name}: {md_escape(reason)}", icon="⛔")


def render_inspector(model: str) -> None:
    """The form for the node selected on `model`'s canvas."""
    design = ds.current_design()
    node_id = ds.selected(model)
    node = design.models[model].node(node_id) if node_id else None
    if node is None:
        st.caption("Select a layer on the canvas to edit its parameters.")
        return
    kind = kinds_by_type().get(node.type)
    st.markdown(f"**{md_escape(node.type)}** · {md_escape(node.id)}")
    if kind is None:
        st.error(f"Unknown layer type {md_escape(node.type)}.")
        return
    st.caption(md_escape(kind["help"]))
    analysis = ds.current_analysis()
    shape = analysis.shapes.get(model, {}).get(node.id)
    count = analysis.params.get(model, {}).get(node.id, 0)
    if shape is not None:
        st.caption(f"Output {md_escape(shape)} · {count:,} params")
    for problem in analysis.problems:
        if problem.model == model and problem.node_id == node.id:
            st.warning(
                md_escape(f"{problem.message}" + (f" — fix: {problem.fix}" if problem.fix else ""))
            )
    if not kind["params"]:
        st.caption("This layer has no parameters.")
    prefix = ds.widget_key("inspector", model, node.id, "")
    values = {p["name"]: node.params.get(p["name"], p["default"]) for p in kind["params"]}
    for param in kind["params"]:
        if applies(param, values):
            _field(model, node.id, param, values[param["name"]], prefix + param["name"])
    st.button(
        "Delete layer",
        key=prefix + "delete",
        on_click=delete_node,
        args=(model, node.id),
        icon=":material/delete:",
    )
