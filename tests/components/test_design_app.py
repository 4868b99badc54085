"""The Design area through Streamlit's AppTest: the canvas's state value injects a graph."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from builder.design.presets import load_preset
from components import design_state as ds
from tests.components.design_app import KEY, canvas_data, inject, nodes, start
from tests.components.people import folder, saved_design


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return tmp_path


def field(at: AppTest, label: str):
    """An inspector field (whole numbers are text fields, read as a person types them)."""
    return next(w for w in [*at.number_input, *at.text_input] if w.label == label)


def test_empty_design_shows_palette_and_the_missing_input(workspace):
    at = start()
    data = canvas_data(at)
    assert {k["type"] for k in data["kinds"]} >= {"Input", "Conv2d", "LSTM", "Concat"}
    assert data["graph"] == {"nodes": [], "edges": []}
    # a friendly start, not a problem, and the Input the data set needs one click away
    assert not any("has no Input node" in m.value for m in at.markdown)
    assert any("An empty design" in m.value for m in at.markdown)
    assert "Start here" in [p.proto.popover.label for p in at.get("popover")]


def problems_label(at: AppTest) -> str:
    labels = [p.proto.popover.label for p in at.get("popover")]
    return next(label for label in labels if "problem" in label)


def test_a_missing_input_is_fixed_from_the_problems_list_in_one_undo_step(workspace):
    at = start()
    at.button(key="nb_fix_input:model").click().run()
    shown = nodes(at)
    assert list(shown) == ["input1"] and shown["input1"]["shape"] == "[1, 8, 8]"
    assert problems_label(at).startswith("No problems")
    at.button(key="nb_undo_btn").click().run()
    assert nodes(at) == {}


def test_a_fix_inserts_flatten_and_the_result_is_checked(workspace):
    """The node carries the fix (its button sends the id; the browser test clicks it); the
    problems list offers the same fix."""
    at = inject(
        start(), [("i", "Input"), ("c", "Conv2d"), ("d", "Dense")], [["i", "c"], ["c", "d"]]
    )
    d = nodes(at)["d"]
    assert d["error"] and [f["id"] for f in d["fixes"]] == ["flatten:d"]
    rev = canvas_data(at)["rev"]
    at.button(key="nb_fix_flatten:d").click().run()
    shown = nodes(at)
    assert canvas_data(at)["rev"] == rev + 1  # Python re-seeds the canvas with the fixed graph
    assert list(shown) == ["i", "c", "flatten1", "d"]
    assert shown["flatten1"]["shape"] == "[576]" and shown["d"]["shape"] == "[64]"
    # checked like any design: now sound, it meets the data set, which has 10 classes
    assert "10 classes" in shown["d"]["error"]
    assert [f["id"] for f in shown["d"]["fixes"]] == ["classes:d"]
    saved = saved_design(workspace, at)
    assert ("flatten1", "d") in saved.models["model"].edges


def test_the_output_is_sized_to_the_data_sets_classes(workspace):
    at = inject(
        start(), [("i", "Input"), ("f", "Flatten"), ("d", "Dense")], [["i", "f"], ["f", "d"]]
    )
    d = nodes(at)["d"]
    assert "10 classes" in d["error"]  # digits, the default data set
    assert [f["id"] for f in d["fixes"]] == ["classes:d"]
    at.button(key="nb_fix_classes:d").click().run()
    assert nodes(at)["d"]["shape"] == "[10]" and nodes(at)["d"]["error"] is None
    assert problems_label(at).startswith("No problems")


def test_a_pasted_copy_keeps_the_params_of_its_original(workspace):
    at = inject(start(), [("i", "Input"), ("c", "Conv2d")], [["i", "c"]], selected="c")
    field(at, "kernel_size").set_value("5").run()
    payload = {
        "nodes": [
            {"id": "i", "type": "Input", "x": 0, "y": 0},
            {"id": "c", "type": "Conv2d", "x": 0, "y": 100},
            {"id": "conv2d1", "type": "Conv2d", "x": 40, "y": 140, "from": "c"},
        ],
        "edges": [["i", "c"]],
        "selected": "conv2d1",
        "rev": canvas_data(at)["rev"],
    }
    at.session_state[KEY] = {"graph": payload}
    at.run()
    saved = saved_design(workspace, at).models["model"]
    assert saved.node("conv2d1").params == saved.node("c").params
    assert saved.node("c").params["kernel_size"] == 5


def test_new_starts_an_empty_design_and_keeps_the_one_before(workspace):
    at = start()
    at.button(key="nb_preset_mlp_moons").click().run()
    moons = at.session_state[ds.DESIGN_ID]
    at.button(key="nb_new_btn").click().run()
    assert nodes(at) == {} and at.session_state[ds.DESIGN_ID] != moons
    assert at.query_params["design"] == at.session_state[ds.DESIGN_ID]
    kept = ds.DesignLibrary(folder(workspace)).load(moons)
    assert [n.id for n in kept.models["model"].nodes] == [
        n.id for n in load_preset("mlp_moons").models["model"].nodes
    ]


def test_left_to_right_lays_generations_out_across(workspace):
    at = inject(start(), [("i", "Input"), ("d", "Dense")], [["i", "d"]])
    at.get("button_group")[-1].set_value("LR").run()
    data = canvas_data(at)
    assert data["direction"] == "LR"
    assert [(n["x"], n["y"]) for n in data["graph"]["nodes"]] == [(0, 0), (220, 0)]


def test_injected_graph_becomes_the_design_with_shapes_and_is_autosaved(workspace):
    at = inject(
        start(), [("i", "Input"), ("f", "Flatten"), ("d", "Dense")], [["i", "f"], ["f", "d"]]
    )
    shown = nodes(at)
    assert shown["i"]["shape"] == "[1, 8, 8]" and shown["f"]["shape"] == "[64]"
    assert shown["d"]["shape"] == "[64]" and shown["d"]["params"] == "4,160 params"
    saved = saved_design(workspace, at)
    assert [n.id for n in saved.models["model"].nodes] == ["i", "f", "d"]
    assert saved.layout["d"] == [50, 200]
    assert problems_label(at) == "1 problem"  # the sound graph meets digits' 10 classes
    assert "10 classes" in shown["d"]["error"]


def test_payload_from_before_a_reset_is_ignored(workspace):
    at = inject(start(), [("i", "Input")], [])
    at = inject(at, [("i", "Input"), ("late", "Dense")], [], rev=0)
    assert list(nodes(at)) == ["i"]


def test_inspector_sets_a_param_and_refuses_a_bad_one_at_the_field(workspace):
    at = inject(
        start(), [("i", "Input"), ("f", "Flatten"), ("d", "Dense")], [["i", "f"], ["f", "d"]], "d"
    )
    field(at, "out_features").set_value("10").run()
    assert nodes(at)["d"]["shape"] == "[10]"
    field(at, "out_features").set_value("-3").run()
    assert not at.exception
    assert nodes(at)["d"]["shape"] == "[10]"
    assert any("out_features: must be at least 1" in e.value for e in at.error)
    # the design kept its last good value
    assert saved_design(workspace, at).models["model"].node("d").params == {"out_features": 10}


def test_inspector_reads_numbers_as_people_type_them(workspace):
    at = inject(start(), [("i", "Input"), ("c", "Conv2d")], [["i", "c"]], selected="c")
    field(at, "out_channels").set_value("1e3").run()
    assert not at.exception
    assert at.session_state["nb_design"].models["model"].node("c").params["out_channels"] == 1000
    assert field(at, "out_channels").value == "1000"  # the field shows what is stored
    field(at, "out_channels").set_value("2.5").run()
    errors = " | ".join(e.value.replace("\\", "") for e in at.error)
    assert "out_channels: expected a whole number, got 2.5" in errors, errors
    assert at.session_state["nb_design"].models["model"].node("c").params["out_channels"] == 1000
    field(at, "out_channels").set_value("lots").run()
    errors = " | ".join(e.value.replace("\\", "") for e in at.error)
    assert "out_channels: expected a whole number, got 'lots' (written like 32 or 1e3)" in errors, (
        errors
    )


def test_shape_error_is_pinned_to_the_culprit_and_undo_redo_restore(workspace):
    at = inject(start(), [("i", "Input"), ("c", "Conv2d")], [["i", "c"]], selected="c")
    rev = canvas_data(at)["rev"]
    field(at, "kernel_size").set_value("9").run()
    assert "9x9" in nodes(at)["c"]["error"] and nodes(at)["i"]["error"] is None
    at.button(key="nb_undo_btn").click().run()
    assert "9x9" not in (nodes(at)["c"]["error"] or "")
    assert nodes(at)["c"]["shape"] == "[16, 6, 6]"
    assert canvas_data(at)["rev"] == rev + 1  # the canvas re-seeds from the design
    at.button(key="nb_redo_btn").click().run()
    assert "9x9" in nodes(at)["c"]["error"]


def test_presets_open_as_new_designs_and_gan_presets_show_two_canvases(workspace):
    at = start()
    at.button(key="nb_preset_lenet_digits").click().run()
    lenet = load_preset("lenet_digits")
    lenet_id = at.session_state[ds.DESIGN_ID]
    assert list(nodes(at)) == [n.id for n in lenet.models["model"].nodes]
    assert canvas_data(at)["fit"] is True
    assert at.query_params["design"] == lenet_id
    at.button(key="nb_preset_dcgan_digits").click().run()
    assert not at.exception
    dcgan = load_preset("dcgan_digits")
    ids = {
        n["id"]
        for i in range(len(at.get("bidi_component")))
        for n in canvas_data(at, i)["graph"]["nodes"]
    }
    assert ids >= {n.id for n in dcgan.models["generator"].nodes}
    assert any("Shape contract holds" in c.value for c in at.caption)
    # The preset did not overwrite the open design: LeNet is still there, as it was.
    assert at.session_state[ds.DESIGN_ID] != lenet_id
    assert not ds.DesignLibrary(folder(workspace)).load(lenet_id).is_gan
    assert at.button(key="nb_undo_btn").disabled  # a new document starts a new history


def test_design_survives_a_restart_and_a_bad_autosave_is_set_aside(workspace):
    at = start()
    at.button(key="nb_preset_mlp_moons").click().run()
    again = start()  # a new session: loads the autosave
    assert list(nodes(again)) == [n.id for n in load_preset("mlp_moons").models["model"].nodes]

    moons_id = again.session_state[ds.DESIGN_ID]
    designs = folder(workspace) / "designs"
    (designs / f"{moons_id}.json").write_text('{"version": 1, "models": {"model": ')
    hurt = start()  # the latest design cannot be read: the one before it opens instead
    assert nodes(hurt) == {}
    assert any("cannot be read" in w.value for w in hurt.warning)
    assert (designs / f"{moons_id}.unreadable.json").exists()  # kept, out of the list
    assert moons_id not in {c["id"] for c in ds.DesignLibrary(folder(workspace)).list()}


def test_auto_layout_and_rename(workspace):
    at = inject(start(), [("i", "Input"), ("d", "Dense")], [["i", "d"]])
    rev = canvas_data(at)["rev"]
    at.button(key="nb_layout_btn").click().run()
    data = canvas_data(at)
    assert data["rev"] == rev + 1 and data["fit"] is True
    assert [(n["x"], n["y"]) for n in data["graph"]["nodes"]] == [(0, 0), (0, 130)]
    at.text_input[0].set_value("my net").run()
    assert saved_design(workspace, at).name == "my net"


def test_a_preset_opens_named_by_its_gallery_title(workspace):
    at = start()
    at.button(key="nb_preset_lenet_digits").click().run()
    assert not at.exception
    assert at.session_state["nb_design"].name == "LeNet on digits"
    assert saved_design(workspace, at).name == "LeNet on digits"


def test_copy_link_confirms_that_the_link_is_made(workspace):
    at = start()
    at.button(key="nb_make_link").click().run()
    assert not at.exception
    assert any("?shared=" in c.value for c in at.code)
    said = " | ".join(s.value.replace("\\", "") for s in [*at.success, *at.toast])
    assert "Link made for" in said and "copy it" in said, said
