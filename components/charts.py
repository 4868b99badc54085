"""Plotly figures of a run, from plain values (no Streamlit here, so they test fast).

Each figure is a plain dict, `{"data": [...], "layout": {...}}`, of JSON-ready values: the live
view redraws several of them twice a second, and Plotly's graph objects would spend tens of
milliseconds per figure checking every value. `st.plotly_chart` takes the same dicts.
Every curve is downsampled before it is drawn, so a redraw stays cheap however long the run.
"""

from __future__ import annotations

import html

import numpy as np

from builder.runs.live import curve, downsample

HEIGHT = 260
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
MAX_POINTS = 400
MAX_MARKERS = 40
COLORS = {
    "train": "#1f77b4",
    "val": "#ff7f0e",
    "steps": "rgba(31,119,180,0.35)",
    "acc": "#2ca02c",
    "lr": "#9467bd",
    "d": "#d62728",
    "g": "#1f77b4",
}
# Fixed margins for number axes: automargin measures the tick labels and lays the chart out
# again on every redraw (the loss chart's redraw took 25 ms with it, 15 ms without); category
# axes (class names of any length) and titled axes keep it.
AXIS = {"gridcolor": "#e6eaf1", "zeroline": False, "automargin": False}
CATEGORY_AXIS = {"type": "category", "automargin": True}
BLUES = [[0, "#f7fbff"], [0.5, "#6baed6"], [1, "#08306b"]]  # light to dark, spelled out: a
# colour scale's name means light-to-dark in Plotly for Python but dark-to-light in plotly.js
FONT = {"family": '"Source Sans", "Source Sans Pro", sans-serif', "color": "#31333F"}


def plotly_text(text: object) -> str:
    """Text as Plotly shows it literally: Plotly reads `<b>`, `<a href>`, `<br>` in titles,
    names and category labels as markup, so a class name or node id is escaped (its
    entities, `&lt;` and the like, show as the characters they stand for)."""
    return html.escape(str(text), quote=False)


def _figure(
    traces: list[dict],
    title: str,
    x_title: str = "epoch",
    y_title: str | None = None,
    *,
    xaxis: dict | None = None,
    yaxis: dict | None = None,
    **layout,
) -> dict:
    fig = {
        "data": traces,
        "layout": {
            "title": {
                "text": plotly_text(title),
                "font": {"size": 14},
                "x": 0.01,
                "xanchor": "left",
            },
            "height": HEIGHT,
            "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
            "legend": {
                "orientation": "h",
                "y": 1.0,
                "yanchor": "bottom",
                "x": 1,
                "xanchor": "right",
            },
            "xaxis": {**AXIS, "title": {"text": plotly_text(x_title)}, **(xaxis or {})},
            "yaxis": {
                **AXIS,
                "title": {"text": plotly_text(y_title or "")},
                "automargin": bool(y_title),  # room for a title beside the tick labels
                **(yaxis or {}),
            },
            "font": FONT,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "uirevision": "keep",  # zoom and hidden traces survive redraws
            **layout,
        },
    }
    if not any(len(t.get("x") or t.get("z") or []) for t in traces):
        fig["layout"]["annotations"] = [
            {
                "text": "waiting for the first values…", "showarrow": False,
                "font": {"color": "#888"}, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
            }
        ]  # fmt: skip
    return fig


def _plain(values) -> np.ndarray:
    """Numbers as a float array (from lists or numpy of any dtype), for `.tolist()`."""
    return np.asarray(values, dtype=float)


def _line(xs, ys, name, color, *, dash=None, width=2, markers=False, group=None, legend=True):
    xs, ys = downsample(xs, ys, MAX_POINTS)
    trace = {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "name": plotly_text(name),
        # One point: a dot. Markers only while they are few: each is an SVG element that the
        # browser redraws on every update of a long run's curve.
        "mode": "lines+markers"
        if (markers and len(xs) <= MAX_MARKERS) or len(xs) == 1
        else "lines",
        "line": {"color": color, "width": width, **({"dash": dash} if dash else {})},
        "showlegend": legend,
    }
    if group:
        trace["legendgroup"] = group
    return trace


def loss_figure(steps: list[dict], epochs: list[dict]) -> dict:
    """Train loss per step (thin) and per epoch, and validation loss per epoch."""
    sx, sy = curve(steps, "loss", x="x")
    ex, ey = curve(epochs, "train_loss")
    vx, vy = curve(epochs, "val_loss")
    traces = [
        _line(sx, sy, "train (steps)", COLORS["steps"], width=1, group="t", legend=False),
        _line(ex, ey, "train", COLORS["train"], markers=True, group="t"),
        _line(vx, vy, "validation", COLORS["val"], markers=True),
    ]
    return _figure(traces, "Loss")


def accuracy_figure(epochs: list[dict]) -> dict:
    x, y = curve(epochs, "val_accuracy")
    traces = [_line(x, y, "validation accuracy", COLORS["acc"], markers=True)]
    return _figure(traces, "Validation accuracy", yaxis={"range": [0, 1.02], "tickformat": ".0%"})


def lr_figure(epochs: list[dict]) -> dict:
    x, y = curve(epochs, "lr")
    top = max(y) * 1.15 if y else 1.0
    traces = [_line(x, y, "learning rate", COLORS["lr"], markers=True)]
    return _figure(traces, "Learning rate", yaxis={"range": [0, top], "exponentformat": "e"})


def gan_loss_figure(steps: list[dict], epochs: list[dict]) -> dict:
    traces = []
    for key, name, color in (("d_loss", "D", COLORS["d"]), ("g_loss", "G", COLORS["g"])):
        sx, sy = curve(steps, key, x="x")
        traces.append(
            _line(sx, sy, f"{name} (steps)", color, width=1, dash="dot", group=key, legend=False)
        )
        ex, ey = curve(epochs, key)
        traces.append(_line(ex, ey, f"{name} loss", color, markers=True, group=key))
    return _figure(traces, "D and G loss")


def gan_scores_figure(epochs: list[dict]) -> dict:
    x, y = curve(epochs, "d_real")
    fx, fy = curve(epochs, "d_fake")
    traces = [
        _line(x, y, "D(x) on real", COLORS["acc"], markers=True),
        _line(fx, fy, "D(G(z)) on generated", COLORS["d"], markers=True),
    ]
    return _figure(traces, "D(x) vs D(G(z))", yaxis={"range": [0, 1.02]})


def confusion_figure(matrix, class_names: list[str] | None, epoch: int | None) -> dict:
    z = np.asarray(matrix, dtype=float)
    names = [plotly_text(n) for n in (class_names or range(len(z)))]
    heatmap = {
        "type": "heatmap",
        "z": z.tolist(),
        "x": names,
        "y": names,
        "colorscale": BLUES,
        "text": z.astype(int).tolist(),
        "texttemplate": "%{text}",
        "hovertemplate": "true %{y}, predicted %{x}: %{z}<extra></extra>",
        "showscale": False,
    }
    return _figure(
        [heatmap],
        "Confusion matrix" + (f" (epoch {epoch})" if epoch else ""),
        x_title="predicted",
        y_title="true",
        xaxis=CATEGORY_AXIS,
        yaxis={**CATEGORY_AXIS, "autorange": "reversed"},
        height=max(HEIGHT, 24 * len(names) + 90),
    )


def prediction_figure(predictions: dict, epoch: int | None) -> dict:
    """True vs predicted values of the first validation samples."""
    truth = _plain(predictions.get("true", [])).ravel().tolist()
    pred = _plain(predictions.get("pred", [])).ravel().tolist()
    traces = [
        _line(list(range(len(truth))), truth, "true", COLORS["train"]),
        _line(list(range(len(pred))), pred, "predicted", COLORS["val"], dash="dash"),
    ]
    title = "True vs predicted" + (f" (epoch {epoch})" if epoch else "")
    return _figure(traces, title, x_title="validation sample")


def _points(values, name: str, marker: dict) -> dict:
    xy = np.asarray(values, dtype=float)
    return {
        "type": "scatter", "mode": "markers", "name": plotly_text(name),
        "marker": marker,
        "x": xy[:, 0].tolist(), "y": xy[:, 1].tolist(),
    }  # fmt: skip


def points_figure(real, generated, epoch: int | None) -> dict:
    """Generated 2-D points over the real ones."""
    traces = []
    if real is not None and len(real):
        traces.append(_points(real, "real", {"size": 4, "color": "rgba(120,120,120,0.35)"}))
    if generated is not None and len(generated):
        traces.append(_points(generated, "generated", {"size": 6, "color": COLORS["d"]}))
    title = "Generated points over the real data" + (
        f" (epoch {epoch})" if epoch is not None else ""
    )
    return _figure(
        traces, title, x_title="x1", y_title="x2", yaxis={"scaleanchor": "x", "scaleratio": 1},
        height=360,
    )  # fmt: skip


def overlay_figure(runs: list[tuple[str, list[dict]]], key: str = "val_loss") -> dict:
    """One curve per run, for comparing runs."""
    fallback = {"val_loss": "d_loss", "train_loss": "g_loss"}  # what a GAN run has instead
    titles = {"val_loss": "Validation loss", "train_loss": "Train loss"}
    notes = {"d_loss": " (D loss for a GAN)", "g_loss": " (G loss for a GAN)"}
    traces, note = [], ""
    for i, (label, rows) in enumerate(runs):
        x, y = curve(rows, key)
        if not y and key in fallback:
            x, y = curve(rows, fallback[key])
            note = notes[fallback[key]] if y else note
        traces.append(_line(x, y, label, PALETTE[i % len(PALETTE)], markers=True))
    return _figure(traces, titles.get(key, key.replace("_", " ")) + note)


def heatmap_figure(values, title: str, x_title: str = "unit", y_title: str | None = None) -> dict:
    z = np.asarray(values, dtype=float)
    if z.ndim == 1:
        z = z[None, :]
    heatmap = {"type": "heatmap", "z": z.tolist(), "colorscale": "Viridis", "showscale": True}
    if z.shape[0] == 1:  # one row: no row axis worth labelling
        return _figure(
            [heatmap], title, x_title=x_title, y_title=y_title,
            yaxis={"showticklabels": False}, height=160,
        )  # fmt: skip
    return _figure([heatmap], title, x_title=x_title, y_title=y_title)


def probability_figure(probabilities, class_names: list[str] | None) -> dict:
    p = _plain(probabilities).ravel().tolist()
    names = [plotly_text(n) for n in (class_names or range(len(p)))]
    best = int(np.argmax(p)) if p else -1
    bars = {
        "type": "bar",
        "x": names,
        "y": p,
        "marker": {
            "color": [COLORS["val"] if i == best else COLORS["train"] for i in range(len(p))]
        },
    }
    return _figure(
        [bars], "Predicted probabilities", x_title="class",
        xaxis=CATEGORY_AXIS, yaxis={"range": [0, 1.02], "tickformat": ".0%"},
    )  # fmt: skip


def sequence_figure(sample, title: str = "Input sample") -> dict:
    """A sequence sample [T, F] (or a vector) as lines."""
    arr = np.asarray(sample, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": f"feature {f}",
            "x": list(range(len(arr))),
            "y": arr[:, f].tolist(),
        }  # fmt: skip
        for f in range(min(arr.shape[1], 8))
    ]
    return _figure(traces, title, x_title="step", showlegend=arr.shape[1] > 1, height=200)
