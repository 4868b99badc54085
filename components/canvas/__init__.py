"""The network canvas: a React Flow editor mounted as a Streamlit components-v2 component.

The built frontend (dist/canvas.js, dist/canvas.css) is committed; `scripts/build_canvas.sh`
rebuilds it from `frontend/src`. Data flow: Python sends `data` (see `bridge.canvas_data`);
the canvas reports its graph as the state value "graph" and undo/redo keys as the trigger
"action".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

COMPONENT_NAME = "netbuilder.canvas"
FRONTEND_DIR = Path(__file__).parent / "frontend"
ASSET_DIR = "dist"

_mount = None


def _ensure_asset_dir() -> None:
    """Tell the running Streamlit where the bundle is.

    Streamlit discovers it from the `[[tool.streamlit.component.components]]` table of
    pyproject.toml, but that scan depends on how and from where the package was installed;
    registering the same manifest here makes the canvas work from any working directory.
    """
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager
    from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest

    manager = get_bidi_component_manager()
    if manager.get_component_asset_root(COMPONENT_NAME) is None:
        manifest = ComponentManifest(
            name=COMPONENT_NAME.split(".")[0],
            version="0",
            components=[ComponentConfig(name=COMPONENT_NAME.split(".")[1], asset_dir=ASSET_DIR)],
        )
        manager.register_from_manifest(manifest, FRONTEND_DIR)


def canvas(
    *,
    key: str,
    data: dict,
    on_graph_change: Callable[[], None],
    on_action_change: Callable[[], None],
):
    """Mount one canvas; returns the component result (state "graph", trigger "action")."""
    global _mount
    _ensure_asset_dir()
    if _mount is None:
        _mount = st.components.v2.component(COMPONENT_NAME, js="canvas.js", css="canvas.css")
    return _mount(
        key=key,
        data=data,
        height=int(data.get("height", 620)) + 2,
        on_graph_change=on_graph_change,
        on_action_change=on_action_change,
    )
