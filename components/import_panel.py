"""Import a model: an ONNX upload becomes a design on the canvas, its weights kept with it."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from builder.importers.from_onnx import import_onnx
from builder.importers.graph import ImportRefused
from builder.importers.saved import keep_import
from components import design_state as ds
from components import person
from components.failures import file_boundary, scrubbed
from components.one_shot_upload import one_shot_uploader
from components.ui_text import md_escape

SHOWN_REASONS = 6
PY_COMMAND = (
    "python -m builder import models.py:MyNet --input-shape 1,28,28 --weights trained.pt "
    "-o my_net.json"
)


def import_upload(name: str, data: bytes):
    """(design with its weights kept, None) or (None, why not: the reasons it is refused, or
    whatever else went wrong, as a message naming the file)."""
    with file_boundary(name, "import") as outcome:
        try:
            design, weights, _ = import_onnx(data, Path(name).stem or "imported")
        except ImportRefused as exc:
            reasons = exc.reasons[:SHOWN_REASONS]
            more = len(exc.reasons) - len(reasons)
            text = "; ".join(reasons) + (f"; and {more} more" if more > 0 else "")
            return None, scrubbed(f"{name}: {text}")
        return keep_import(design, weights, name, person.folder()), None
    return None, outcome.message


def _on_import(name: str, raw: bytes) -> None:
    design, error = import_upload(name, raw)
    if error:
        ds.notify("error", f"Could not import the model; the current design is unchanged. {error}")
    elif ds.replace_design(design) is not None:
        count = len(design.models["model"].nodes)
        ds.notify(
            "success",
            f"Imported {name}: {count} nodes, with its weights (look inside it under "
            "Train > Feature maps, or train from them). Your previous design is kept in My designs.",
        )


def render_import() -> None:
    one_shot_uploader(
        "Import a model (ONNX)",
        name="import",
        types=["onnx"],
        on_file=_on_import,
        help=md_escape(
            "The file is read as data; its outputs are checked in onnxruntime in a separate "
            "process with limited memory and time, after every operation in it is one the "
            "import knows"
        ),
    )
    st.caption("A PyTorch class in a .py file imports from the command line, then opens here:")
    st.code(PY_COMMAND, language="bash")
