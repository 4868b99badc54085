"""The Train area's learning-rate finder: runs `python -m builder lr-find` in its own process
(training never runs inside the page server), shows the whole loss curve with the suggestion
marked, and sets the design's learning rate in one click."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import replace

import streamlit as st

from builder.data.uploads import uploads_dir
from components import design_state as ds
from components import person
from components.ui_text import md_escape

FOUND = "nb_lr_found"  # (design revision, result) of the last search
TIMEOUT_S = 300
CHART_CONFIG = {"displayModeBar": False}


def finder_figure(found: dict) -> dict:
    """The smoothed loss against the learning rate (log scale), the suggestion marked."""
    lrs, losses, best = found["lrs"], found["losses"], found.get("suggested_lr")
    traces = [{"type": "scatter", "mode": "lines", "x": lrs, "y": losses, "name": "loss",
               "line": {"color": "#1f77b4"}}]  # fmt: skip
    if best in lrs:
        traces.append({"type": "scatter", "mode": "markers", "x": [best],
                       "y": [losses[lrs.index(best)]], "name": f"suggested {best:.2g}",
                       "marker": {"color": "#d62728", "size": 11}})  # fmt: skip
    layout = {
        "title": {"text": "Loss while the learning rate rises", "font": {"size": 13}},
        "height": 280,
        "margin": {"l": 50, "r": 10, "t": 35, "b": 40},
        "xaxis": {"type": "log", "title": {"text": "learning rate"}, "exponentformat": "power"},
        "yaxis": {"title": {"text": "smoothed loss"}},
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    }
    return {"data": traces, "layout": layout}


def run_finder(design) -> tuple[dict | None, str | None]:
    """(result, None) or (None, the reason it failed), from the CLI in a child process."""
    folder = person.folder()
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = f"{tmp}/design.json"
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(design.to_json())
        cmd = [sys.executable, "-m", "builder", "lr-find", path]
        cmd += ["--data-root", str(uploads_dir(folder))]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return None, f"the finder took longer than {TIMEOUT_S} s"
    lines = proc.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except ValueError:
        result = {}
    if proc.returncode != 0 or "lrs" not in result:
        return None, result.get("error") or proc.stderr.strip()[-300:] or "the finder failed"
    return result, None


def _use(lr: float) -> None:
    design = ds.current_design()
    training = dict(design.training or {})
    training["optimizer"] = {**training.get("optimizer", {}), "lr": float(f"{lr:.3g}")}
    ds.commit(replace(design, training=training), reset=True)  # fresh fields show the new rate


def render_lr_finder() -> None:
    design = ds.current_design()
    if design.task == "gan":
        st.caption("The learning-rate finder trains one model; a GAN has two.")
        return
    st.caption(
        "Raises the learning rate from 1e-7 to 10 over about 100 steps from the design's "
        "initial weights, and suggests one from the middle of the longest fall of the loss."
    )
    if st.button("Find a learning rate", key="nb_lr_find", icon=":material/search:"):
        with st.spinner("Trying learning rates…"):
            found, error = run_finder(design)
        if error:
            st.error(md_escape(f"The finder failed: {error}"))
        st.session_state[FOUND] = (ds.revision(), found) if found else None
    kept = st.session_state.get(FOUND)
    if not kept:
        return
    found = kept[1]
    st.plotly_chart(finder_figure(found), key="nb_lr_curve", config=CHART_CONFIG)
    best = found.get("suggested_lr")
    if best:
        st.button(
            f"Use learning rate {best:.3g}",
            key="nb_lr_use",
            on_click=_use,
            args=(best,),
            icon=":material/check:",
        )
