"""A pad to draw an input on: a Streamlit components-v2 component (a plain canvas).

It reports the drawing as the state value "ink" (PAD_SIZE x PAD_SIZE ink levels, base64);
`builder.introspect.pad` scales it to the Input exactly as the training data was prepared.
The built frontend (frontend/dist/draw_pad.js) is committed; `scripts/build_frontends.sh`
rebuilds it from `frontend/src`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from builder.introspect.pad import ink_from_text
from components.bundles import ensure_registered

COMPONENT_NAME = "netbuilder.draw_pad"
FRONTEND_DIR = Path(__file__).parent / "frontend"

_mount = None


def draw_pad(*, key: str):
    """Mount the pad; the drawing as ink levels [PAD_SIZE, PAD_SIZE] in [0, 1], or None."""
    global _mount
    ensure_registered(COMPONENT_NAME, FRONTEND_DIR)
    if _mount is None:
        _mount = st.components.v2.component(COMPONENT_NAME, js="draw_pad.js")
    result = _mount(key=key, data={}, height=300, on_ink_change=lambda: None)
    text = getattr(result, "ink", None)
    return ink_from_text(text) if text else None
