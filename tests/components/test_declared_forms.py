"""Forms drawn from declarations (AppTest): the inspector shows a param only while it applies,
and the Train form shows what each optimizer and schedule declares it takes."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from builder.recipes.optimizers import OPTIMIZER_RECIPES
from builder.recipes.schedules import SCHEDULE_RECIPES
from tests.components.people import as_person, folder

TIMEOUT = 60


def _inspector_script():
    import streamlit as st

    from builder import load_design
    from components import design_state as ds
    from components.inspector import render_inspector

    if "seeded" not in st.session_state:
        st.session_state.seeded = True
        nodes = [
            {"id": "x", "type": "Input", "params": {"shape": [4]}},
            {"id": "act", "type": "Activation", "params": {}},
        ]
        ds.replace_design(
            load_design({"models": {"model": {"nodes": nodes, "edges": [["x", "act"]]}}})
        )
        ds.select("model", "act")
    render_inspector("model")


def _train_script():
    import streamlit as st

    from builder.design.presets import load_preset
    from components import design_state as ds
    from components.train_controls import render_training_controls

    if "seeded" not in st.session_state:
        st.session_state.seeded = True
        ds.replace_design(load_preset("mlp_moons"))
    render_training_controls(ds.current_design())


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return folder(tmp_path)


def _app(script) -> AppTest:
    at = as_person(AppTest.from_function(script, default_timeout=TIMEOUT)).run()
    assert not at.exception
    return at


def _labels(widgets) -> set[str]:
    return {w.label for w in widgets}


def _node(at):
    return at.session_state["nb_design"].models["model"].node("act")


def test_the_inspector_shows_negative_slope_only_for_leaky_relu(workspace):
    at = _app(_inspector_script)
    assert "activation" in _labels(at.selectbox)
    assert "negative_slope" not in _labels(at.number_input)  # relu: it does not apply
    next(w for w in at.selectbox if w.label == "activation").set_value("leaky_relu").run()
    assert not at.exception and _node(at).params["activation"] == "leaky_relu"
    slope = next(w for w in at.number_input if w.label == "negative_slope")
    assert slope.value == pytest.approx(0.2)
    slope.set_value(0.1).run()
    assert _node(at).params["negative_slope"] == pytest.approx(0.1)
    next(w for w in at.selectbox if w.label == "activation").set_value("tanh").run()
    assert "negative_slope" not in _labels(at.number_input)


def test_the_train_form_shows_what_each_optimizer_declares_it_takes(workspace):
    at = _app(_train_script)
    for name, recipe in OPTIMIZER_RECIPES.items():
        next(w for w in at.selectbox if w.label == "Optimizer").set_value(name).run()
        assert not at.exception and not at.error
        numbers, boxes = _labels(at.number_input), _labels(at.checkbox)
        assert ("Momentum" in numbers) == ("momentum" in recipe.takes), name
        assert ("Nesterov momentum" in boxes) == ("nesterov" in recipe.takes), name
        assert ({"β1", "β2"} <= numbers) == ("betas" in recipe.takes), name
        optimizer = at.session_state["nb_design"].training["optimizer"]
        assert optimizer == {"type": name, "lr": 0.01}  # the preset's rate carries over


def test_the_train_form_shows_a_schedules_settings_with_their_declared_defaults(workspace):
    at = _app(_train_script)
    next(w for w in at.selectbox if w.label == "Learning-rate schedule").set_value("step").run()
    assert not at.exception
    fields = {w.proto.help.split(" (")[0]: w for w in at.number_input}
    for param in SCHEDULE_RECIPES["step"].takes:
        shown = fields[param.help]
        assert shown.value == pytest.approx(param.default)
        assert f"{param.max:g}" in shown.proto.help  # its bound, in words beside the field
    next(w for w in at.selectbox if w.label == "Learning-rate schedule").set_value("cosine").run()
    helps = {w.proto.help.split(" (")[0] for w in at.number_input}
    assert not helps & {p.help for p in SCHEDULE_RECIPES["step"].takes}
