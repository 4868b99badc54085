"""Figures from plain values: downsampled, one dot for one point, a note while empty, and
every figure valid for Plotly and plain JSON (the live chart sends it as JSON text)."""

from __future__ import annotations

import html
import json

import numpy as np
import plotly.graph_objects as go

from components import charts

EPOCHS = [
    {"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "val_accuracy": 0.5, "lr": 0.01,
     "d_loss": 1.2, "g_loss": 0.8, "d_real": 0.6, "d_fake": 0.4},
]  # fmt: skip


def test_long_curves_are_downsampled():
    steps = [{"step": i, "x": i / 100, "loss": 1 / (i + 1)} for i in range(50_000)]
    epochs = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.1 / e} for e in range(1, 501)]
    fig = charts.loss_figure(steps, epochs)
    assert all(len(t["x"]) <= charts.MAX_POINTS for t in fig["data"])
    assert fig["data"][0]["x"][-1] == steps[-1]["x"]
    assert fig["data"][1]["mode"] == "lines"  # 400 epoch points: no marker on each
    short = charts.loss_figure([], epochs[:10])
    assert short["data"][1]["mode"] == "lines+markers"


def test_one_point_is_drawn_as_a_dot_and_empty_charts_say_they_wait():
    fig = charts.loss_figure([{"step": 5, "x": 0.2, "loss": 2.3}], [])
    assert fig["data"][0]["mode"] == "lines+markers"
    assert "annotations" not in fig["layout"]
    empty = charts.accuracy_figure([])
    assert "waiting" in empty["layout"]["annotations"][0]["text"]


def test_confusion_and_probabilities_use_class_names():
    fig = charts.confusion_figure([[3, 1], [0, 4]], ["cat", "dog"], 2)
    assert fig["data"][0]["x"] == ["cat", "dog"] and "epoch 2" in fig["layout"]["title"]["text"]
    bars = charts.probability_figure(np.array([0.2, 0.8], dtype=np.float32), ["cat", "dog"])
    assert bars["data"][0]["x"] == ["cat", "dog"]
    assert bars["data"][0]["marker"]["color"] == [charts.COLORS["train"], charts.COLORS["val"]]


def test_gan_and_overlay_figures():
    assert [t["name"] for t in charts.gan_scores_figure(EPOCHS)["data"]] == [
        "D(x) on real",
        "D(G(z)) on generated",
    ]
    gan = [{"epoch": 1, "d_loss": 1.2, "g_loss": 0.8}]
    overlay = charts.overlay_figure([("#1 a", [{"epoch": 1, "val_loss": 0.5}]), ("#2 gan", gan)])
    assert [t["y"] for t in overlay["data"]] == [[0.5], [1.2]]  # a GAN shows its D loss


def test_every_figure_is_valid_plotly_and_plain_json():
    rng = np.random.default_rng(0)
    steps = [{"step": 1, "x": 0.1, "loss": 1.5, "d_loss": 1.0, "g_loss": 2.0}]
    figures = [
        charts.loss_figure(steps, EPOCHS),
        charts.accuracy_figure(EPOCHS),
        charts.lr_figure(EPOCHS),
        charts.gan_loss_figure(steps, EPOCHS),
        charts.gan_scores_figure(EPOCHS),
        charts.confusion_figure(np.array([[3, 1], [0, 4]]), None, 1),
        charts.prediction_figure({"true": rng.random(5), "pred": rng.random(5)}, 1),
        charts.points_figure(rng.random((20, 2)), rng.random((8, 2)).astype(np.float32), 3),
        charts.overlay_figure([("#1", EPOCHS)], "train_loss"),
        charts.heatmap_figure(rng.random(16).astype(np.float32), "Dense"),
        charts.heatmap_figure(rng.random((8, 4)), "LSTM", x_title="step", y_title="unit"),
        charts.probability_figure(rng.random(3), None),
        charts.sequence_figure(rng.random((32, 2))),
    ]
    for fig in figures:
        go.Figure(fig)  # raises on any property Plotly does not know or any bad value
        assert json.loads(json.dumps(fig, allow_nan=False)) == fig  # nothing numpy is left


def test_class_names_and_titles_reach_plotly_as_text_not_markup():
    names = ['<a href="https://x.example">x</a>', "<b>b</b><br>", "R&D &lt;3"]
    for fig in (
        charts.confusion_figure(np.eye(3), names, 1),
        charts.probability_figure([0.2, 0.3, 0.5], names),
        charts.sequence_figure(np.zeros(4), f"Sample 1, label {names[0]}"),
    ):
        shown = [*fig["data"][0].get("x", []), fig["layout"]["title"]["text"]]
        shown += [t["name"] for t in fig["data"] if "name" in t]
        assert not any("<" in str(text) for text in shown)
    fig = charts.confusion_figure(np.eye(3), names, 1)
    assert [html.unescape(x) for x in fig["data"][0]["x"]] == names  # each one distinct
