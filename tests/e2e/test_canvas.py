"""The canvas in a real browser against `streamlit run app.py`."""

from __future__ import annotations

import json
import re

from builder import layer_kinds, load_design
from builder.design.presets import list_presets, load_preset
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


def test_build_a_cnn_by_drag_and_drop_then_break_it_and_undo(page, shot):
    page.locator("[data-canvas]").scroll_into_view_if_needed()
    shot("empty")
    for i, kind in enumerate(["Input", "Conv2d", "Flatten", "Dense"]):
        drop(page, kind, 300, 60 + i * 140)
    assert wait_nodes(page, ["input1", "conv2d1", "flatten1", "dense1"]) == [
        "input1",
        "conv2d1",
        "flatten1",
        "dense1",
    ]
    shot("dropped")
    for source, target in [("input1", "conv2d1"), ("conv2d1", "flatten1"), ("flatten1", "dense1")]:
        connect(page, source, target)
    assert eventually(lambda: shape_of(page, "dense1") == "[64]")
    shot("connected")

    select(page, "dense1")
    set_field(page, "out_features", "10")
    assert eventually(lambda: shape_of(page, "dense1") == "[10]")
    assert shape_of(page, "input1") == "[1, 8, 8]"
    assert shape_of(page, "conv2d1") == "[16, 6, 6]"
    assert shape_of(page, "flatten1") == "[576]"
    assert page.get_by_text(re.compile(r"^Output \[10\]")).is_visible()  # the inspector
    shot("param-set")

    select(page, "conv2d1")
    set_field(page, "kernel_size", "9")  # 9x9 window on an 8x8 image
    assert eventually(lambda: "9x9" in (error_of(page, "conv2d1") or ""))
    assert all(error_of(page, n) is None for n in ["input1", "flatten1", "dense1"])
    assert page.get_by_text(error_of(page, "conv2d1")).count() == 2  # node and inspector
    problems = open_popover(page, "nb_problems_popover")
    assert "9x9" in problems.inner_text()  # and in the toolbar's problems list
    shot("shape-error-pinned")
    page.keyboard.press("Escape")
    wait_popover_closed(page)

    page.locator("[data-canvas] .react-flow__pane").click(position={"x": 40, "y": 40})
    page.keyboard.press("Control+z")
    wait_idle(page)
    assert eventually(lambda: error_of(page, "conv2d1") is None)
    assert shape_of(page, "conv2d1") == "[16, 6, 6]"
    shot("undone")

    page.locator(".st-key-nb_redo_btn button").filter(visible=True).click()
    wait_idle(page)
    assert eventually(lambda: error_of(page, "conv2d1") is not None)
    page.locator(".st-key-nb_undo_btn button").filter(visible=True).click()
    wait_idle(page)
    assert eventually(lambda: error_of(page, "conv2d1") is None)


def test_bad_param_is_refused_at_the_field(page, shot):
    open_preset(page, "mlp_moons")
    wait_nodes(page, [n.id for n in load_preset("mlp_moons").models["model"].nodes])
    first_dense = next(
        n.id for n in load_preset("mlp_moons").models["model"].nodes if n.type == "Dense"
    )
    before = shape_of(page, first_dense)
    select(page, first_dense)
    set_field(page, "out_features", "-3")
    page.get_by_text("out_features: must be at least 1").wait_for()
    assert shape_of(page, first_dense) == before
    shot("refused")


def test_every_preset_opens_without_problems(page, shot):
    for preset in list_presets():
        design = load_preset(preset["name"])
        open_preset(page, preset["name"])
        first = next(iter(design.models))
        expected = [n.id for n in design.models[first].nodes]
        assert sorted(wait_nodes(page, expected)) == sorted(expected), preset["name"]
        assert eventually(lambda: all(shape_of(page, n) for n in expected))  # noqa: B023
        assert all(error_of(page, n) is None for n in expected)
        shot(preset["name"])
        if design.is_gan:
            page.get_by_role("tab", name="Discriminator").click()
            wait_idle(page)
            page.wait_for_selector(
                f"[data-node-id={json.dumps(design.models['discriminator'].nodes[0].id)}]"
            )
            expected = [n.id for n in design.models["discriminator"].nodes]
            assert sorted(wait_nodes(page, expected)) == sorted(expected)
            assert page.get_by_text("Shape contract holds").is_visible()
            shot(preset["name"] + "-discriminator")
            page.get_by_role("tab", name="Generator").click()
            wait_idle(page)


def test_design_survives_reload_and_save_downloads_it(page, shot, app_server):
    open_preset(page, "lenet_digits")
    expected = sorted(n.id for n in load_preset("lenet_digits").models["model"].nodes)
    wait_nodes(page, expected)
    with page.expect_download() as info:
        page.get_by_role("button", name="Save").click()
    saved = load_design(info.value.path().read_text())
    assert sorted(n.id for n in saved.models["model"].nodes) == expected
    page.reload()
    page.wait_for_selector("[data-node-id]")
    wait_idle(page)
    assert sorted(wait_nodes(page, expected)) == expected
    assert app_server.open_design_file(page).exists()
    shot("after-reload")


def _upload(page, name: str, text: str) -> None:
    upload(page, "nb_open_popover", name, text.encode())


def test_broken_upload_keeps_the_design(page, shot):
    open_preset(page, "mlp_moons")
    before = [n.id for n in load_preset("mlp_moons").models["model"].nodes]
    assert wait_nodes(page, before) == before
    _upload(page, "broken.json", '{"version": 1, "name": "x", "models": {')
    message = page.get_by_text("Could not open the file")
    message.wait_for()
    assert "broken.json: not valid JSON at line 1" in message.inner_text()
    assert node_ids(page) == before
    shot("broken-upload")


def test_hostile_node_id_shows_as_text(page, shot):
    evil = "<img src=x onerror=alert(1)>"
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    design = {
        "version": 1,
        "name": "evil",
        "models": {
            "model": {
                "nodes": [
                    {"id": evil, "type": "Input", "params": {"shape": [4]}},
                    {"id": "d", "type": "Dense", "params": {"out_features": 2}},
                ],
                "edges": [[evil, "d"]],
            }
        },
    }
    _upload(page, "evil.json", json.dumps(design))
    page.wait_for_selector("[data-node-id=d]")
    wait_idle(page)
    assert evil in node_ids(page)
    assert evil in node(page, evil).inner_text()
    assert page.locator("[data-canvas] img").count() == 0
    assert not dialogs and not page.errors
    shot("hostile-id")


def test_delete_by_key_and_context_menu_click_to_add_and_palette_help(page, shot):
    open_preset(page, "mlp_moons")
    ids = [n.id for n in load_preset("mlp_moons").models["model"].nodes]  # input, hidden1/2, output
    wait_nodes(page, ids)
    help_text = next(k["help"] for k in layer_kinds() if k["type"] == "Dropout")
    assert page.locator("[data-palette-item=Dropout]").get_attribute("title") == help_text

    node(page, "output").locator(".nb-node-head").click()
    # Delete once the selection has reached the inspector, so no rerun lands mid-key.
    page.get_by_text("Dense · output").wait_for()
    wait_idle(page)
    page.keyboard.press("Delete")
    wait_idle(page)
    assert wait_nodes(page, ids[:-1]) == ids[:-1]

    node(page, "hidden2").click(button="right")
    page.locator("[data-context-menu] button").click()
    wait_idle(page)
    assert wait_nodes(page, ids[:-2]) == ids[:-2]
    shot("deleted")

    page.locator("[data-palette-item=Dropout]").click()
    wait_idle(page)
    assert wait_nodes(page, [*ids[:-2], "dropout1"])
    assert eventually(lambda: "inbound" in (error_of(page, "dropout1") or ""))
    shot("click-added")
    page.locator(".st-key-nb_undo_btn button").filter(visible=True).click()
    wait_idle(page)
    assert wait_nodes(page, ids[:-2]) == ids[:-2]


def test_nodes_and_palette_draw_in_their_groups_colours_from_the_registry(page, shot):
    from builder.layers.registry import layer_groups

    colours = {g["name"]: g["color"] for g in layer_groups()}
    open_preset(page, "transformer_text")
    wait_nodes(page, ["tokens", "block1", "next_token"])

    def drawn(locator) -> str:
        return locator.evaluate("e => e.style.getPropertyValue('--nb-group')").strip()

    assert drawn(node(page, "block1")) == colours["Attention"]  # once the neutral grey
    assert drawn(node(page, "next_token")) == colours["Core"]
    item = page.locator("[data-palette-item=MultiheadAttention]")
    assert drawn(item) == colours["Attention"]
    shot("attention-colour")
