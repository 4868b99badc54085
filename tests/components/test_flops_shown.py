"""Forward FLOPs where people look: on each canvas node (beside its activation memory) and in the
model summary."""

from __future__ import annotations

from builder.design.presets import load_preset
from builder.design.shapes import analyze
from components.canvas.bridge import canvas_data
from components.model_summary import summary_rows


def test_canvas_nodes_show_flops_and_activation_memory():
    design = load_preset("lenet_digits")
    nodes = canvas_data(design, "model", analyze(design), rev=1)["graph"]["nodes"]
    cost = {n["id"]: n["cost"] for n in nodes}
    # conv1: 1 -> 16 channels, 3x3, over 8x8 = 18,432 FLOPs; output [16, 8, 8] floats = 4 KiB.
    assert cost["conv1"] == "18.4 KFLOPs · 4.0 KiB"
    assert cost["pool1"] == "0 FLOPs · 1.0 KiB"


def test_summary_rows_carry_forward_flops():
    design = load_preset("lenet_digits")
    rows = {r["node"]: r for r in summary_rows(design, analyze(design))}
    assert rows["conv2"]["forward FLOPs"] == 2 * 16 * 9 * 32 * 16
    assert rows["output"]["forward FLOPs"] == 2 * 64 * 10
