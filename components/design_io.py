"""Save (download the design JSON) and open (upload one: validated, a bad file changes nothing)."""

from __future__ import annotations

import re

import streamlit as st

from builder import Design, DesignError, load_design
from builder.design.spec import MAX_FILE_BYTES, parse_json
from components import design_state as ds
from components.failures import file_boundary
from components.one_shot_upload import one_shot_uploader
from components.ui_text import md_escape


def file_name(design: Design) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", design.name).strip("-") or "design"
    return f"{slug[:60]}.json"


def read_design(name: str, raw: bytes) -> tuple[Design | None, str | None]:
    """Parse an uploaded file: (design, None) or (None, a message naming the culprit)."""
    if len(raw) > MAX_FILE_BYTES:
        return None, f"{name} is larger than {MAX_FILE_BYTES:,} bytes"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, f"{name} is not a text file (expected design JSON)"
    try:
        # Parse here: load_design would treat text that is not JSON as a path to read.
        return load_design(parse_json(text)), None
    except DesignError as exc:
        return None, f"{name}: {exc}"
    except (RecursionError, ValueError, TypeError) as exc:
        return None, f"{name}: not a design file ({exc})"


def _on_upload(name: str, raw: bytes) -> None:
    design, error = None, None
    with file_boundary(name, "open") as outcome:
        design, error = read_design(name, raw)
    error = error or outcome.message
    if error:
        ds.notify("error", f"Could not open the file; the current design is unchanged. {error}")
    elif ds.replace_design(design) is not None:
        ds.notify("success", f"Opened {name}. Your previous design is kept in My designs.")


def render_save(design: Design) -> None:
    st.download_button(
        "Save",
        data=design.to_json(),
        file_name=file_name(design),
        mime="application/json",
        key="nb_save",
        on_click="ignore",
        icon=":material/download:",
        help="Download the design as a JSON file",
    )


def render_open() -> None:
    one_shot_uploader(
        "Open a design file (JSON)",
        name="upload",
        types=["json"],
        on_file=_on_upload,
        help=md_escape("A file saved from here, or written by hand; it is checked before it opens"),
    )
