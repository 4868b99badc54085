"""Figures from plain values: downsampled, one dot for one point, a note while empty."""

from __future__ import annotations

from components import charts


def test_long_curves_are_downsampled():
    steps = [{"step": i, "x": i / 100, "loss": 1 / (i + 1)} for i in range(50_000)]
    epochs = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.1 / e} for e in range(1, 501)]
    fig = charts.loss_figure(steps, epochs)
    assert all(len(t.x) <= charts.MAX_POINTS for t in fig.data)
    assert fig.data[0].x[-1] == steps[-1]["x"]


def test_one_point_is_drawn_as_a_dot_and_empty_charts_say_they_wait():
    fig = charts.loss_figure([{"step": 5, "x": 0.2, "loss": 2.3}], [])
    assert fig.data[0].mode == "lines+markers"
    assert not fig.layout.annotations
    empty = charts.accuracy_figure([])
    assert "waiting" in empty.layout.annotations[0].text


def test_confusion_and_probabilities_use_class_names():
    fig = charts.confusion_figure([[3, 1], [0, 4]], ["cat", "dog"], 2)
    assert list(fig.data[0].x) == ["cat", "dog"] and "epoch 2" in fig.layout.title.text
    bars = charts.probability_figure([0.2, 0.8], ["cat", "dog"])
    assert list(bars.data[0].x) == ["cat", "dog"]


def test_gan_and_overlay_figures():
    epochs = [{"epoch": 1, "d_loss": 1.2, "g_loss": 0.8, "d_real": 0.6, "d_fake": 0.4}]
    assert [t.name for t in charts.gan_scores_figure(epochs).data] == [
        "D(x) on real",
        "D(G(z)) on generated",
    ]
    overlay = charts.overlay_figure([("#1 a", [{"epoch": 1, "val_loss": 0.5}]), ("#2 gan", epochs)])
    assert [list(t.y) for t in overlay.data] == [[0.5], [1.2]]
