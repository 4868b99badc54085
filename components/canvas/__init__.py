"""The network canvas: a React Flow editor mounted as a Streamlit components-v2 component.

The built frontend (dist/canvas.js, dist/canvas.css) is committed; `scripts/build_frontends.sh`
rebuilds it from `frontend/src`. Data flow: Python sends `data` (see `bridge.canvas_data`);
the canvas reports its graph as the state value "graph" and undo/redo keys as the trigger
"action".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from components.bundles import ensure_registered

COMPONENT_NAME = "netbuilder.canvas"
FRONTEND_DIR = Path(__file__).parent / "frontend"
ASSET_DIR = "dist"

_mount = None


def canvas(
    *,
    key: str,
    data: dict,
    on_graph_change: Callable[[], None],
    on_action_change: Callable[[], None],
):
    """Mount one canvas; returns the component result (state "graph", trigger "action")."""
    global _mount
    ensure_registered(COMPONENT_NAME, FRONTEND_DIR, ASSET_DIR)
    if _mount is None:
        _mount = st.components.v2.component(COMPONENT_NAME, js="canvas.js", css="canvas.css")
    return _mount(
        key=key,
        data=data,
        height="content",  # the editor sizes itself to the window (bridge.MIN_HEIGHT at least)
        on_graph_change=on_graph_change,
        on_action_change=on_action_change,
    )
