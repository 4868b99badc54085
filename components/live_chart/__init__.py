"""A Plotly chart that updates in place: a Streamlit components-v2 component.

`st.plotly_chart` draws a new chart whenever its figure changes; twice a second, for every
chart of the live view, that rebuilt SVG took the browser a whole core on a small machine,
CPU the training needed. This one keeps its graph and hands each new figure to
`Plotly.react`, which redraws only what changed (and keeps the user's zoom).

The built frontend (frontend/dist/live_chart.js, Plotly's cartesian bundle and a few lines
around it) is committed; `scripts/build_frontends.sh` rebuilds it from `frontend/src`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import streamlit as st

from components.bundles import ensure_registered

COMPONENT_NAME = "netbuilder.live_chart"
FRONTEND_DIR = Path(__file__).parent / "frontend"
CONFIG = {"displaylogo": False}

_mount = None


def live_chart(figure: dict, *, key: str, run_id: int | None = None) -> None:
    """Draw `figure` (a Plotly figure dict, see `components.charts`) under `key`, as a chart of
    run `run_id`: a new run's chart starts from its own zoom, and says whose points it shows."""
    if run_id is not None:
        layout = figure.setdefault("layout", {})
        layout["uirevision"] = f"run {run_id}"
        layout["meta"] = {"run": run_id}
    global _mount
    ensure_registered(COMPONENT_NAME, FRONTEND_DIR)
    if _mount is None:
        # Not in a shadow root: Plotly puts its stylesheet (hover labels, mode bar) in <head>.
        _mount = st.components.v2.component(
            COMPONENT_NAME, js="live_chart.js", isolate_styles=False
        )
    try:
        spec = json.dumps(figure, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or infinity (a diverged run): not JSON, drawn as gaps instead
        spec = json.dumps(_finite(figure), separators=(",", ":"), allow_nan=False)
    height = int(figure.get("layout", {}).get("height", 260))
    _mount(key=key, data={"spec": spec, "config": CONFIG}, height=height)


def _finite(value):
    """`value` with every NaN or infinite float replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
