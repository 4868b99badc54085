"""Plotly figures of a run's health records, as plain dicts (no Streamlit here): a heat strip of
each node's output histogram over the steps, gradient norms per layer on a log scale, and the
update-to-weight ratios."""

from __future__ import annotations

import math

from builder.codegen.templates.health import HIST_EDGES
from builder.introspect.health_alerts import node_norms
from components.charts import PALETTE

STRIP_HEIGHT = 150
LINE_HEIGHT = 260


def bin_labels() -> list[str]:
    """The histogram's bins, in order: below the first edge, between edges, above the last."""
    edges = [f"{e:g}" for e in HIST_EDGES]
    inner = [f"{a}…{b}" for a, b in zip(edges, edges[1:], strict=False)]
    return [f"<{edges[0]}", *inner, f">{edges[-1]}"]


def statistics(records: list[dict]) -> list[dict]:
    """The records that hold statistics (not the note of a non-finite output), in step order."""
    return sorted((r for r in records if r.get("nodes")), key=lambda r: r.get("step") or 0)


def _layout(title: str, height: int, **extra) -> dict:
    return {
        "title": {"text": title, "font": {"size": 13}, "x": 0.01, "xanchor": "left"},
        "height": height,
        "margin": {"l": 70, "r": 10, "t": 30, "b": 30},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        **extra,
    }


def histogram_strip(records: list[dict], node: str) -> dict:
    """One node's output histogram at each recorded step: steps across, bins up, share as colour."""
    rows = [r for r in statistics(records) if node in r["nodes"]]
    labels = bin_labels()
    z = [[None] * len(rows) for _ in labels]
    for col, record in enumerate(rows):
        for b, share in enumerate(record["nodes"][node].get("hist") or []):
            if b < len(labels):
                z[b][col] = share
    trace = {
        "type": "heatmap",
        "x": [r["step"] for r in rows],
        "y": labels,
        "z": z,
        "zmin": 0,
        "zmax": 1,
        "colorscale": [[0, "#f7fbff"], [0.15, "#6baed6"], [1, "#08306b"]],
        "showscale": False,
        "hovertemplate": "step %{x}<br>%{y}: %{z:.1%}<extra></extra>",
    }
    axis = {"type": "category", "tickfont": {"size": 9}, "nticks": 6}
    return {"data": [trace], "layout": _layout(f"{node}: outputs", STRIP_HEIGHT, yaxis=axis)}


def _per_layer_lines(records: list[dict], value, title: str, y_title: str) -> dict:
    series: dict[str, tuple[list, list]] = {}
    for record in statistics(records):
        for node, norms in node_norms(record).items():
            v = value(norms)
            if v is not None and v > 0 and math.isfinite(v):
                xs, ys = series.setdefault(node, ([], []))
                xs.append(record["step"])
                ys.append(v)
    traces = [
        {"type": "scatter", "mode": "lines+markers", "name": node, "x": xs, "y": ys,
         "line": {"color": PALETTE[i % len(PALETTE)]}, "marker": {"size": 4}}
        for i, (node, (xs, ys)) in enumerate(series.items())
    ]  # fmt: skip
    layout = _layout(
        title,
        LINE_HEIGHT,
        xaxis={"title": {"text": "step"}},
        yaxis={"type": "log", "title": {"text": y_title}, "exponentformat": "power"},
        legend={"orientation": "h", "y": -0.25},
    )
    return {"data": traces, "layout": layout}


def gradient_norms(records: list[dict]) -> dict:
    return _per_layer_lines(records, lambda n: n[1], "Gradient norm per layer", "‖grad‖")


def update_ratios(records: list[dict]) -> dict:
    return _per_layer_lines(
        records,
        lambda n: n[2] / n[0] if n[0] > 0 else None,
        "Update-to-weight ratio per layer (about 1e-3 is healthy)",
        "‖step‖ / ‖w‖",
    )
