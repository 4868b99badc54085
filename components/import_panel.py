"""Import a model: an ONNX upload becomes a design on the canvas, its weights kept with it."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from builder.importers.from_onnx import import_onnx
from builder.importers.graph import ImportRefused
from builder.importers.saved import keep_import
from components import design_state as ds
from components import person
from components.ui_text import md_escape

GEN = "nb_import_gen"
SHOWN_REASONS = 6
PY_COMMAND = (
    "python -m builder import models.py:MyNet --input-shape 1,28,28 --weights trained.pt "
    "-o my_net.json"
)


def _key() -> str:
    return f"nb_import_{st.session_state.get(GEN, 0)}"


def import_upload(name: str, data: bytes):
    """(design with its weights kept, None) or (None, the reasons it is refused)."""
    try:
        design, weights, _ = import_onnx(data, Path(name).stem or "imported")
    except ImportRefused as exc:
        reasons = exc.reasons[:SHOWN_REASONS]
        more = len(exc.reasons) - len(reasons)
        text = "; ".join(reasons) + (f"; and {more} more" if more > 0 else "")
        return None, f"{name}: {text}"
    return keep_import(design, weights, name, person.folder()), None


def _on_import(key: str) -> None:
    uploaded = st.session_state.get(key)
    if uploaded is None or key != _key():
        return
    design, error = import_upload(uploaded.name, uploaded.getvalue())
    if error:
        ds.notify("error", f"Could not import the model; the current design is unchanged. {error}")
    else:
        ds.replace_design(design)
        count = len(design.models["model"].nodes)
        ds.notify(
            "success",
            f"Imported {uploaded.name}: {count} nodes, with its weights (look inside it under "
            "Train > Feature maps, or train from them). Your previous design is kept in My designs.",
        )
    st.session_state[GEN] = st.session_state.get(GEN, 0) + 1


def render_import() -> None:
    key = _key()
    st.file_uploader(
        "Import a model (ONNX)",
        type=["onnx"],
        key=key,
        on_change=_on_import,
        args=(key,),
        help=md_escape("The file is read as data: nothing in it runs"),
    )
    st.caption("A PyTorch class in a .py file imports from the command line, then opens here:")
    st.code(PY_COMMAND, language="bash")
