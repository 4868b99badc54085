"""The canvas as a person uses it: LeNet built from the palette alone, one-click fixes,
copy/paste/duplicate with undo, the palette search, and Streamlit's light and dark themes."""

from __future__ import annotations

import json

from builder.design.presets import load_preset
from tests.e2e.canvas_helpers import (
    connect,
    drop,
    error_of,
    eventually,
    node,
    node_ids,
    open_popover,
    open_preset,
    select,
    set_field,
    shape_of,
    upload,
    wait_nodes,
    wait_popover_closed,
)
from tests.e2e.conftest import wait_idle


def problems_label(page) -> str:
    return page.locator(".st-key-nb_problems_popover [data-testid=stPopoverButton]").inner_text()


def undo(page) -> None:
    page.locator("[data-canvas] .react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+z")
    wait_idle(page)


def test_lenet_from_the_palette_only(page, shot):
    search = page.locator("[data-palette-search]")
    search.fill("inp")
    shown = page.eval_on_selector_all(
        "[data-palette-item]", "els => els.map(e => e.dataset.paletteItem)"
    )
    assert shown[0] == "Input" and "Conv2d" not in shown  # by name first, then by help
    search.press("Enter")  # Enter adds the best match, in the middle of the view
    wait_idle(page)
    assert wait_nodes(page, ["input1"]) == ["input1"]
    assert search.input_value() == ""
    layout = [
        ("Conv2d", 150, 60),
        ("MaxPool2d", 150, 200),
        ("Conv2d", 150, 340),
        ("MaxPool2d", 150, 480),
        ("Flatten", 150, 620),
        ("Dense", 760, 60),
        ("Dense", 760, 220),
    ]
    for kind, x, y in layout:
        drop(page, kind, x, y)
    chain = [
        "input1",
        "conv2d1",
        "maxpool2d1",
        "conv2d2",
        "maxpool2d2",
        "flatten1",
        "dense1",
        "dense2",
    ]
    assert sorted(wait_nodes(page, chain)) == sorted(chain)
    for source, target in zip(chain, chain[1:], strict=False):
        connect(page, source, target)
    # unpadded 3x3 windows shrink the 8x8 digits to nothing: the second pool says so
    assert eventually(lambda: "larger than its input" in (error_of(page, "maxpool2d2") or ""))
    shot("wired")
    for node_id, label, value in [
        ("conv2d1", "padding", "1"),
        ("conv2d2", "padding", "1"),
        ("conv2d2", "out_channels", "32"),
        ("dense2", "out_features", "10"),
    ]:
        select(page, node_id)
        set_field(page, label, value)
    expected = {
        "input1": "[1, 8, 8]",
        "conv2d1": "[16, 8, 8]",
        "maxpool2d1": "[16, 4, 4]",
        "conv2d2": "[32, 4, 4]",
        "maxpool2d2": "[32, 2, 2]",
        "flatten1": "[128]",
        "dense1": "[64]",
        "dense2": "[10]",
    }
    assert eventually(lambda: {n: shape_of(page, n) for n in chain} == expected)
    assert eventually(lambda: "No problems" in problems_label(page))
    body = open_popover(page, "nb_problems_popover")
    assert "13,706 trainable parameters" in body.inner_text()
    page.keyboard.press("Escape")
    wait_popover_closed(page)
    # each edge carries the shape its source outputs
    labels = page.locator(".react-flow__edge-text").all_text_contents()
    assert sorted(labels) == sorted(expected[n] for n in chain[:-1])
    # readable at 100 %: no text on a node, an edge or the palette is under 12 px
    sizes = page.eval_on_selector_all(
        ".nb-node *, .nb-palette *, .react-flow__edge-text",
        "els => els.filter(e => e.textContent.trim()).map(e => parseFloat(getComputedStyle(e).fontSize))",
    )
    assert sizes and min(sizes) >= 12
    # colour-coded by group: a convolution, a pooling and a core layer each look different
    tops = {
        n: node(page, n).evaluate("e => getComputedStyle(e).borderTopColor")
        for n in ["conv2d1", "maxpool2d1", "dense1"]
    }
    assert len(set(tops.values())) == 3, tops
    assert node(page, "conv2d1").get_attribute("data-group") == "Convolution"
    shot("lenet")


FLATTEN = {  # a Dense fed an image
    "nodes": [
        {"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "c", "type": "Conv2d", "params": {"padding": 1}},
        {"id": "d", "type": "Dense", "params": {"out_features": 10}},
    ],
    "edges": [["in", "c"], ["c", "d"]],
}
RESHAPE = {  # a convolution fed a vector of 64 values
    "nodes": [
        {"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "f0", "type": "Flatten", "params": {}},
        {"id": "c", "type": "Conv2d", "params": {"padding": 1}},
        {"id": "f", "type": "Flatten", "params": {}},
        {"id": "d", "type": "Dense", "params": {"out_features": 10}},
    ],
    "edges": [["in", "f0"], ["f0", "c"], ["c", "f"], ["f", "d"]],
}
PROJECT = {  # a residual Add whose shortcut has fewer channels
    "nodes": [
        {"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "c1", "type": "Conv2d", "params": {"out_channels": 8, "padding": 1}},
        {"id": "add", "type": "Add", "params": {}},
        {"id": "f", "type": "Flatten", "params": {}},
        {"id": "d", "type": "Dense", "params": {"out_features": 10}},
    ],
    "edges": [["in", "c1"], ["in", "add"], ["c1", "add"], ["add", "f"], ["f", "d"]],
}
KERNEL = {  # a 9x9 window over an 8x8 image
    "nodes": [
        {"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "c", "type": "Conv2d", "params": {"kernel_size": 9}},
        {"id": "f", "type": "Flatten", "params": {}},
        {"id": "d", "type": "Dense", "params": {"out_features": 10}},
    ],
    "edges": [["in", "c"], ["c", "f"], ["f", "d"]],
}
DANGLING = {  # the output layer was never wired in
    "nodes": [
        {"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "f", "type": "Flatten", "params": {}},
        {"id": "d", "type": "Dense", "params": {"out_features": 10}},
    ],
    "edges": [["in", "f"]],
}
NO_INPUT = {
    "nodes": [
        {"id": "f", "type": "Flatten", "params": {}},
        {"id": "d", "type": "Dense", "params": {"out_features": 10}},
    ],
    "edges": [["f", "d"]],
}
CLASSES = {  # sound, but digits has 10 classes
    "nodes": [
        {"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "f", "type": "Flatten", "params": {}},
        {"id": "d", "type": "Dense", "params": {"out_features": 64}},
    ],
    "edges": [["in", "f"], ["f", "d"]],
}


def open_graph(page, name: str, graph: dict) -> None:
    design = {
        "version": 1,
        "name": name,
        "models": {"model": graph},
        "training": {"task": "classification", "dataset": "digits"},
    }
    upload(page, "nb_open_popover", f"{name}.json", json.dumps(design).encode())
    ids = [n["id"] for n in graph["nodes"]]
    assert sorted(wait_nodes(page, ids)) == sorted(ids)


def click_fix(page, node_id: str, fix_id: str) -> None:
    button = node(page, node_id).locator(f"[data-fix={json.dumps(fix_id)}]")
    assert eventually(lambda: button.count() == 1), fix_id
    button.click()
    wait_idle(page)


CASES = [
    # design, node with the button, fix id, node whose shape shows the fix worked, its shape
    ("flatten", FLATTEN, "d", "flatten:d", "d", "[10]"),
    ("reshape", RESHAPE, "c", "reshape:c", "c", "[16, 8, 8]"),
    ("project", PROJECT, "add", "project:add", "d", "[10]"),
    ("pad", KERNEL, "c", "pad:c", "c", "[16, 2, 2]"),
    ("kernel", KERNEL, "c", "kernel:c", "c", "[16, 1, 1]"),
    ("connect", DANGLING, "d", "connect:d", "d", "[10]"),
    ("classes", CLASSES, "d", "classes:d", "d", "[10]"),
]


def test_each_fix_is_one_click_and_one_undo(page, shot):
    for name, graph, at, fix_id, probe, shape in CASES:
        open_graph(page, name, graph)
        assert eventually(lambda: error_of(page, at) is not None), name  # noqa: B023
        before = sorted(node_ids(page))
        shot(f"{name}-broken")
        click_fix(page, at, fix_id)
        assert eventually(lambda: shape_of(page, probe) == shape), name  # noqa: B023
        assert eventually(lambda: "No problems" in problems_label(page)), name  # noqa: B023
        shot(f"{name}-fixed")
        undo(page)
        assert eventually(lambda: error_of(page, at) is not None), name  # noqa: B023
        assert sorted(node_ids(page)) == before, name

    # A missing Input has no node to pin a button to: its fix is in the problems list.
    open_graph(page, "no-input", NO_INPUT)
    assert "2 problems" in problems_label(page)  # no Input, so nothing feeds f
    # the fix shows on the layer the new Input will feed, and in the problems list
    assert node(page, "f").locator('[data-fix="input:model"]').count() == 1
    body = open_popover(page, "nb_problems_popover")
    assert "has no Input node" in body.inner_text()
    shot("no-input")
    body.get_by_role("button", name="Add an Input [1, 8, 8] into f").click()
    wait_idle(page)
    assert sorted(wait_nodes(page, ["input1", "f", "d"])) == ["d", "f", "input1"]
    assert eventually(lambda: shape_of(page, "d") == "[10]")
    assert "No problems" in problems_label(page)
    shot("no-input-fixed")
    assert not page.errors


def summary(page, node_id: str) -> str:
    return node(page, node_id).locator(".nb-node-summary").inner_text()


def test_copy_paste_duplicate_select_delete_and_undo(page, shot):
    open_preset(page, "lenet_digits")
    ids = [n.id for n in load_preset("lenet_digits").models["model"].nodes]
    wait_nodes(page, ids)
    select(page, "conv2")
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    wait_idle(page)
    assert sorted(wait_nodes(page, [*ids, "conv2d1"])) == sorted([*ids, "conv2d1"])
    # the copy has the original's params (Python copied them, not the registry defaults)
    assert eventually(lambda: summary(page, "conv2d1") == summary(page, "conv2"))
    page.keyboard.press("Control+d")  # duplicates the selection: the pasted copy
    wait_idle(page)
    assert "conv2d2" in wait_nodes(page, [*ids, "conv2d1", "conv2d2"])
    assert eventually(lambda: summary(page, "conv2d2") == summary(page, "conv2"))
    shot("pasted")

    # Shift-drag a box around conv1 and pool1: both are selected; copy and paste them.
    page.locator("[data-canvas] .react-flow__controls-fitview").click()
    page.wait_for_timeout(200)
    first = node(page, "conv1").bounding_box()
    second = node(page, "pool1").bounding_box()
    left = min(first["x"], second["x"]) - 12
    top = first["y"] - 12
    right = max(first["x"] + first["width"], second["x"] + second["width"]) + 12
    bottom = second["y"] + second["height"] + 12
    page.keyboard.down("Shift")
    page.mouse.move(left, top)
    page.mouse.down()
    page.mouse.move((left + right) / 2, (top + bottom) / 2, steps=5)
    page.mouse.move(right, bottom, steps=5)
    page.mouse.up()
    page.keyboard.up("Shift")
    wait_idle(page)
    assert eventually(lambda: page.locator(".react-flow__node.selected").count() == 2)
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    wait_idle(page)
    grown = [*ids, "conv2d1", "conv2d2", "conv2d3", "maxpool2d1"]
    assert sorted(wait_nodes(page, grown)) == sorted(grown)
    # the edge between the copied pair is pasted too (the pasted pool has its one input);
    # the edge into the pair is not (the pasted conv has none)
    assert eventually(lambda: "got 0" in (error_of(page, "conv2d3") or ""))
    assert error_of(page, "maxpool2d1") == "is not reachable from the Input"
    shot("pasted-pair")

    page.keyboard.press("Delete")  # the pasted pair is still selected
    wait_idle(page)
    assert sorted(wait_nodes(page, grown[:-2])) == sorted(grown[:-2])
    undo(page)
    assert sorted(wait_nodes(page, grown)) == sorted(grown)
    for _ in range(3):  # the pair, the duplicate, the first paste
        undo(page)
    assert sorted(wait_nodes(page, ids)) == sorted(ids)
    assert not page.errors


def _colors(page) -> tuple[str, str]:
    return page.evaluate(
        """() => {
            const host = [...document.querySelectorAll('*')].find(
                (e) => e.shadowRoot && e.shadowRoot.querySelector('[data-canvas]'));
            const root = host ? host.shadowRoot : document;
            const flow = root.querySelector('.react-flow');
            const n = root.querySelector('.nb-node');
            return [getComputedStyle(flow).backgroundColor, getComputedStyle(n).color];
        }"""
    )


def _lightness(css: str) -> float:
    values = [float(v) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    return sum(values) / 3


def test_the_canvas_follows_the_light_and_dark_theme(page, shot):
    open_preset(page, "mlp_moons")
    page.wait_for_selector("[data-node-id]")
    page.emulate_media(color_scheme="light")
    page.reload()
    page.wait_for_selector("[data-node-id]")
    wait_idle(page)
    background, text = _colors(page)
    assert _lightness(background) > 200 and _lightness(text) < 100
    shot("light")
    page.emulate_media(color_scheme="dark")
    page.reload()
    page.wait_for_selector("[data-node-id]")
    wait_idle(page)
    assert eventually(lambda: _lightness(_colors(page)[0]) < 60)
    background, text = _colors(page)
    assert _lightness(text) > 180
    shot("dark")


def test_left_to_right_layout(page, shot):
    open_preset(page, "mlp_moons")
    ids = [n.id for n in load_preset("mlp_moons").models["model"].nodes]
    wait_nodes(page, ids)
    page.locator(".st-key-nb_direction").get_by_role("radio").nth(1).click()  # the → option
    wait_idle(page)

    def lefts():
        return [node(page, n).bounding_box()["x"] for n in ids]

    assert eventually(lambda: lefts() == sorted(lefts()) and len(set(lefts())) == len(ids))
    tops = [node(page, n).bounding_box()["y"] for n in ids]
    assert max(tops) - min(tops) < 5  # one row
    assert node(page, "hidden1").locator(".react-flow__handle-left.target").count() == 1
    assert node(page, "hidden1").locator(".react-flow__handle-right.source").count() == 1
    shot("left-to-right")


def test_a_gan_layer_copied_in_one_model_pastes_into_the_other(page, shot):
    open_preset(page, "mlp_gan_digits")
    wait_nodes(page, ["noise", "g1", "g2", "g_out", "g_image"])
    select(page, "g1")
    page.keyboard.press("Control+c")
    page.get_by_role("tab", name="Discriminator").click()
    wait_idle(page)
    disc = ["image", "d_flat", "d1", "d2", "d_out"]
    wait_nodes(page, disc)
    page.locator("[data-canvas] .react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+v")
    wait_idle(page)
    # a fresh id in the whole design (dense1 is free in both models), g1's params with it
    assert sorted(wait_nodes(page, [*disc, "dense1"])) == sorted([*disc, "dense1"])
    assert eventually(lambda: summary(page, "dense1") == "out_features=128, leaky_relu")
    shot("pasted-into-discriminator")
