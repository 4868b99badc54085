"""The plain functions between the design and the canvas."""

from __future__ import annotations

import json
import re
from pathlib import Path

from builder import Graph, Node, analyze, layer_kinds, load_design
from builder.design.fixes import find_fixes
from builder.design.presets import list_presets, load_preset
from builder.layers.registry import GROUPS, layer_groups
from components.canvas.bridge import (
    apply_canvas_graph,
    auto_positions,
    canvas_data,
    palette,
    summarize,
    with_positions,
)


def _design(nodes, edges, layout=None, models=None):
    graph = {"nodes": nodes, "edges": edges}
    return load_design(
        {"version": 1, "name": "t", "models": models or {"model": graph}, "layout": layout or {}}
    )


def test_palette_lists_every_registered_kind_with_its_group_and_help():
    kinds = layer_kinds()
    assert [k["type"] for k in palette()] == [k["type"] for k in kinds]
    assert all(p["group"] and p["help"] and p["inputs"] for p in palette())


def test_the_canvas_gets_every_groups_colour_and_icon_from_the_registry():
    design = load_preset("transformer_text")
    data = canvas_data(design, "model", analyze(design), rev=1)
    assert data["groups"] == layer_groups()
    looks = {g["name"]: g for g in data["groups"]}
    for kind in data["kinds"]:  # every registered kind draws in its group's own colour
        look = looks[kind["group"]]
        assert re.fullmatch(r"#[0-9a-f]{6}", look["color"]) and len(look["icon"]) == 1
    colours = [g["color"] for g in data["groups"]]
    assert len(set(colours)) == len(colours)
    attention = {k["type"] for k in data["kinds"] if k["group"] == "Attention"}
    assert {"TransformerEncoderLayer", "MultiheadAttention"} <= attention


def test_the_canvas_frontend_names_no_group_of_its_own():
    source = Path(__file__).resolve().parents[2] / "components" / "canvas" / "frontend" / "src"
    for path in source.iterdir():
        text = path.read_text(encoding="utf-8")
        named = [g for g in GROUPS if re.search(rf'["\']{re.escape(g)}["\']|^\s*{g}:', text, re.M)]
        assert not named, f"{path.name} names groups {named}: they come from the registry"


def test_canvas_graph_keeps_params_of_known_nodes_and_defaults_new_ones():
    design = _design(
        [{"id": "in", "type": "Input", "params": {"shape": [4]}}],
        [],
        layout={"in": [0, 0], "_note": {"kept": True}},
    )
    payload = {
        "nodes": [
            {"id": "in", "type": "Input", "x": 10.4, "y": 20.6},
            {"id": "d", "type": "Dense", "x": 0, "y": 130},
        ],
        "edges": [["in", "d"]],
        "selected": "d",
        "rev": 1,
    }
    new = apply_canvas_graph(design, "model", payload)
    graph = new.models["model"]
    assert graph.nodes == [Node("in", "Input", {"shape": [4]}), Node("d", "Dense", {})]
    assert graph.edges == [("in", "d")]
    assert new.layout == {"in": [10, 21], "d": [0, 130], "_note": {"kept": True}}
    assert analyze(new).shapes["model"] == {"in": [4], "d": [64]}


def test_removed_node_loses_its_position_and_edges_to_missing_nodes_are_dropped():
    design = _design(
        [{"id": "a", "type": "Input", "params": {}}, {"id": "b", "type": "Dense", "params": {}}],
        [["a", "b"]],
        layout={"a": [0, 0], "b": [0, 100]},
    )
    payload = {"nodes": [{"id": "a", "type": "Input", "x": 0, "y": 0}], "edges": [["a", "b"]]}
    new = apply_canvas_graph(design, "model", payload)
    assert [n.id for n in new.models["model"].nodes] == ["a"]
    assert new.models["model"].edges == []
    assert "b" not in new.layout


def test_malformed_payload_entries_are_skipped():
    design = _design([], [])
    payload = {
        "nodes": [
            "junk",
            {"id": "", "type": "Input"},
            {"id": 3, "type": "Input"},
            {"id": "x", "type": "NoSuchLayer"},
            {"id": "ok", "type": "Input", "x": "NaN", "y": None},
            {"id": "ok", "type": "Dense"},
        ],
        "edges": [["ok", "ok", "ok"], "edge", [1, 2], ["ok", "ok"], ["ok", "ok"]],
    }
    new = apply_canvas_graph(design, "model", payload)
    assert new.models["model"].nodes == [Node("ok", "Input", {})]
    assert new.models["model"].edges == [("ok", "ok")]  # a self-loop: analyze reports it
    assert "ok" not in new.layout
    assert apply_canvas_graph(design, "model", None) is design
    assert apply_canvas_graph(design, "nope", payload) is design


def test_canvas_data_pins_problems_to_their_node_and_shows_partial_shapes():
    design = _design(
        [
            {"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}},
            {"id": "c", "type": "Conv2d", "params": {"kernel_size": 9}},
            {"id": "f", "type": "Flatten", "params": {}},
        ],
        [["in", "c"], ["c", "f"]],
    )
    data = canvas_data(design, "model", analyze(design), rev=3, selected="c")
    nodes = {n["id"]: n for n in data["graph"]["nodes"]}
    assert data["rev"] == 3 and data["selected"] == "c"
    assert nodes["in"]["shape"] == "[1, 8, 8]" and nodes["in"]["error"] is None
    assert "9x9" in nodes["c"]["error"] and nodes["c"]["shape"] is None
    assert nodes["f"]["error"] is None and nodes["f"]["shape"] is None
    assert data["graph"]["edges"] == [["in", "c"], ["c", "f"]]
    json.dumps(data)  # goes to the browser as JSON


def test_canvas_data_of_every_preset_has_shapes_params_and_no_problem():
    for preset in list_presets():
        design = load_preset(preset["name"])
        analysis = analyze(design)
        for model, graph in design.models.items():
            data = canvas_data(design, model, analysis, rev=1)
            assert len(data["graph"]["nodes"]) == len(graph.nodes)
            assert all(n["shape"] and n["error"] is None for n in data["graph"]["nodes"])
            others = {n.id for m, g in design.models.items() if m != model for n in g.nodes}
            assert set(data["other_ids"]) == others


def test_summary_shows_first_param_and_changed_ones():
    kinds = {k["type"]: k for k in layer_kinds()}
    conv = summarize(kinds["Conv2d"], {"out_channels": 8, "padding": 1, "activation": "relu"})
    assert conv == "out_channels=8, padding=1, relu"
    assert summarize(kinds["Dense"], {}) == "out_features=64"
    assert summarize(kinds["Input"], {"shape": [1, 8, 8]}) == "shape=[1, 8, 8]"
    assert summarize(kinds["Flatten"], {}) == ""


def test_auto_layout_puts_each_generation_on_its_own_row():
    graph = Graph(
        nodes=[Node("in", "Input"), Node("a", "Dense"), Node("b", "Dense"), Node("add", "Add")],
        edges=[("in", "a"), ("in", "b"), ("a", "add"), ("b", "add")],
    )
    pos = auto_positions(graph)
    assert pos["in"][1] < pos["a"][1] == pos["b"][1] < pos["add"][1]
    assert pos["a"][0] != pos["b"][0]


def test_auto_layout_survives_cycles_and_fills_only_missing_positions():
    graph = Graph(nodes=[Node("a", "Dense"), Node("b", "Dense")], edges=[("a", "b"), ("b", "a")])
    assert set(auto_positions(graph)) == {"a", "b"}
    design = _design(
        [{"id": "a", "type": "Input", "params": {}}, {"id": "b", "type": "Dense", "params": {}}],
        [["a", "b"]],
        layout={"a": [500, 500], "b": "garbage"},
    )
    placed = with_positions(design)
    assert placed.layout["a"] == [500, 500] and len(placed.layout["b"]) == 2
    assert with_positions(placed) is placed
    assert with_positions(placed, relayout=True).layout["a"] == [0, 0]


def test_a_pasted_copy_takes_its_originals_params_even_from_the_other_model():
    gen = {"nodes": [{"id": "g", "type": "Dense", "params": {"out_features": 7}}], "edges": []}
    disc = {"nodes": [{"id": "x", "type": "Input", "params": {"shape": [3]}}], "edges": []}
    design = _design([], [], models={"generator": gen, "discriminator": disc})
    payload = {
        "nodes": [
            {"id": "x", "type": "Input", "x": 0, "y": 0},
            {"id": "dense1", "type": "Dense", "x": 0, "y": 100, "from": "g"},
            {"id": "dense2", "type": "Dense", "x": 0, "y": 200, "from": "nowhere"},
            {"id": "input1", "type": "Input", "x": 0, "y": 300, "from": "g"},  # another kind
        ],
        "edges": [["x", "dense1"]],
    }
    graph = apply_canvas_graph(design, "discriminator", payload).models["discriminator"]
    assert graph.node("dense1").params == {"out_features": 7}
    assert graph.node("dense2").params == {}
    assert graph.node("input1").params == {}


def test_left_to_right_layout_and_fix_buttons_on_their_nodes():
    design = _design(
        [
            {"id": "i", "type": "Input", "params": {"shape": [1, 8, 8]}},
            {"id": "c", "type": "Conv2d", "params": {}},
            {"id": "d", "type": "Dense", "params": {}},
        ],
        [["i", "c"], ["c", "d"]],
    )
    assert auto_positions(design.models["model"], "LR") == {
        "i": [0, 0],
        "c": [220, 0],
        "d": [440, 0],
    }
    analysis = analyze(design)
    data = canvas_data(
        design, "model", analysis, rev=1, fixes=find_fixes(design, analysis), direction="LR"
    )
    shown = {n["id"]: n for n in data["graph"]["nodes"]}
    assert data["direction"] == "LR"
    assert shown["d"]["fixes"] == [
        {"id": "flatten:d", "label": "Insert Flatten before d ([16, 6, 6] → [576])"}
    ]
    assert shown["c"]["fixes"] == [] and shown["i"]["fixes"] == []
