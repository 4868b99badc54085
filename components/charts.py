"""Plotly figures of a run, from plain values (no Streamlit here, so they test fast).

Every curve is downsampled before it is drawn, so a redraw stays cheap however long the run.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from builder.live import curve, downsample

HEIGHT = 260
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
MAX_POINTS = 400
COLORS = {
    "train": "#1f77b4",
    "val": "#ff7f0e",
    "steps": "rgba(31,119,180,0.35)",
    "acc": "#2ca02c",
    "lr": "#9467bd",
    "d": "#d62728",
    "g": "#1f77b4",
}


def _layout(fig: go.Figure, title: str, x_title: str = "epoch", y_title: str | None = None):
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=HEIGHT,
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        xaxis_title=x_title,
        yaxis_title=y_title,
        uirevision="keep",  # zoom and hidden traces survive redraws
    )
    if not any(getattr(trace, "x", None) is not None and len(trace.x) for trace in fig.data):
        fig.add_annotation(
            text="waiting for the first values…", showarrow=False, font={"color": "#888"},
            xref="paper", yref="paper", x=0.5, y=0.5,
        )  # fmt: skip
    return fig


def _line(xs, ys, name, color, *, dash=None, width=2, markers=False, group=None, legend=True):
    xs, ys = downsample(xs, ys, MAX_POINTS)
    return go.Scatter(
        x=xs,
        y=ys,
        name=name,
        mode="lines+markers" if markers or len(xs) == 1 else "lines",  # one point: a dot
        line={"color": color, "dash": dash, "width": width},
        legendgroup=group,
        showlegend=legend,
    )


def loss_figure(steps: list[dict], epochs: list[dict]) -> go.Figure:
    """Train loss per step (thin) and per epoch, and validation loss per epoch."""
    fig = go.Figure()
    sx, sy = curve(steps, "loss", x="x")
    fig.add_trace(_line(sx, sy, "train (steps)", COLORS["steps"], width=1, group="t", legend=False))
    ex, ey = curve(epochs, "train_loss")
    fig.add_trace(_line(ex, ey, "train", COLORS["train"], markers=True, group="t"))
    vx, vy = curve(epochs, "val_loss")
    fig.add_trace(_line(vx, vy, "validation", COLORS["val"], markers=True))
    return _layout(fig, "Loss")


def accuracy_figure(epochs: list[dict]) -> go.Figure:
    fig = go.Figure()
    x, y = curve(epochs, "val_accuracy")
    fig.add_trace(_line(x, y, "validation accuracy", COLORS["acc"], markers=True))
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return _layout(fig, "Validation accuracy")


def lr_figure(epochs: list[dict]) -> go.Figure:
    fig = go.Figure()
    x, y = curve(epochs, "lr")
    fig.add_trace(_line(x, y, "learning rate", COLORS["lr"], markers=True))
    top = max(y) * 1.15 if y else 1.0
    fig.update_yaxes(range=[0, top], exponentformat="e")
    return _layout(fig, "Learning rate")


def gan_loss_figure(steps: list[dict], epochs: list[dict]) -> go.Figure:
    fig = go.Figure()
    for key, name, color in (("d_loss", "D", COLORS["d"]), ("g_loss", "G", COLORS["g"])):
        sx, sy = curve(steps, key, x="x")
        fig.add_trace(
            _line(sx, sy, f"{name} (steps)", color, width=1, dash="dot", group=key, legend=False)
        )
        ex, ey = curve(epochs, key)
        fig.add_trace(_line(ex, ey, f"{name} loss", color, markers=True, group=key))
    return _layout(fig, "D and G loss")


def gan_scores_figure(epochs: list[dict]) -> go.Figure:
    fig = go.Figure()
    x, y = curve(epochs, "d_real")
    fig.add_trace(_line(x, y, "D(x) on real", COLORS["acc"], markers=True))
    x, y = curve(epochs, "d_fake")
    fig.add_trace(_line(x, y, "D(G(z)) on generated", COLORS["d"], markers=True))
    fig.update_yaxes(range=[0, 1.02])
    return _layout(fig, "D(x) vs D(G(z))")


def confusion_figure(matrix, class_names: list[str] | None, epoch: int | None) -> go.Figure:
    z = np.asarray(matrix, dtype=float)
    names = list(class_names or [str(i) for i in range(len(z))])
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=names,
            y=names,
            colorscale="Blues",
            text=z.astype(int),
            texttemplate="%{text}",
            hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>",
            showscale=False,
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    title = "Confusion matrix" + (f" (epoch {epoch})" if epoch else "")
    fig = _layout(fig, title, x_title="predicted", y_title="true")
    fig.update_layout(height=max(HEIGHT, 24 * len(names) + 90))
    return fig


def prediction_figure(predictions: dict, epoch: int | None) -> go.Figure:
    """True vs predicted values of the first validation samples."""
    truth, pred = predictions.get("true") or [], predictions.get("pred") or []
    fig = go.Figure()
    fig.add_trace(_line(list(range(len(truth))), truth, "true", COLORS["train"]))
    fig.add_trace(_line(list(range(len(pred))), pred, "predicted", COLORS["val"], dash="dash"))
    title = "True vs predicted" + (f" (epoch {epoch})" if epoch else "")
    return _layout(fig, title, x_title="validation sample")


def points_figure(real, generated, epoch: int | None) -> go.Figure:
    """Generated 2-D points over the real ones."""
    fig = go.Figure()
    if real is not None and len(real):
        r = np.asarray(real)
        fig.add_trace(
            go.Scatter(
                x=r[:, 0], y=r[:, 1], mode="markers", name="real",
                marker={"size": 4, "color": "rgba(120,120,120,0.35)"},
            )
        )  # fmt: skip
    if generated is not None and len(generated):
        g = np.asarray(generated)
        fig.add_trace(
            go.Scatter(
                x=g[:, 0], y=g[:, 1], mode="markers", name="generated",
                marker={"size": 6, "color": COLORS["d"]},
            )
        )  # fmt: skip
    title = "Generated points over the real data" + (
        f" (epoch {epoch})" if epoch is not None else ""
    )
    fig = _layout(fig, title, x_title="x1", y_title="x2")
    fig.update_layout(height=360)
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def overlay_figure(runs: list[tuple[str, list[dict]]], key: str = "val_loss") -> go.Figure:
    """One curve per run, for comparing runs."""
    fallback = {"val_loss": "d_loss", "train_loss": "g_loss"}  # what a GAN run has instead
    titles = {"val_loss": "Validation loss", "train_loss": "Train loss"}
    notes = {"d_loss": " (D loss for a GAN)", "g_loss": " (G loss for a GAN)"}
    fig, note = go.Figure(), ""
    for i, (label, rows) in enumerate(runs):
        x, y = curve(rows, key)
        if not y and key in fallback:
            x, y = curve(rows, fallback[key])
            note = notes[fallback[key]] if y else note
        fig.add_trace(_line(x, y, label, PALETTE[i % len(PALETTE)], markers=True))
    return _layout(fig, titles.get(key, key.replace("_", " ")) + note)


def heatmap_figure(values, title: str, x_title: str = "unit", y_title: str | None = None):
    z = np.asarray(values, dtype=float)
    if z.ndim == 1:
        z = z[None, :]
    fig = go.Figure(go.Heatmap(z=z, colorscale="Viridis", showscale=True))
    fig = _layout(fig, title, x_title=x_title, y_title=y_title)
    if z.shape[0] == 1:
        fig.update_yaxes(showticklabels=False)
        fig.update_layout(height=160)
    return fig


def probability_figure(probabilities, class_names: list[str] | None) -> go.Figure:
    p = np.asarray(probabilities, dtype=float)
    names = list(class_names or [str(i) for i in range(len(p))])
    best = int(np.argmax(p)) if len(p) else -1
    colors = [COLORS["val"] if i == best else COLORS["train"] for i in range(len(p))]
    fig = go.Figure(go.Bar(x=names, y=p, marker_color=colors))
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return _layout(fig, "Predicted probabilities", x_title="class")


def sequence_figure(sample, title: str = "Input sample") -> go.Figure:
    """A sequence sample [T, F] (or a vector) as lines."""
    arr = np.asarray(sample, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    fig = go.Figure()
    for f in range(min(arr.shape[1], 8)):
        fig.add_trace(go.Scatter(y=arr[:, f], mode="lines+markers", name=f"feature {f}"))
    fig = _layout(fig, title, x_title="step")
    fig.update_layout(showlegend=arr.shape[1] > 1, height=200)
    return fig
