"""What the Train form shows is what trains (AppTest): every field is set in the page, Train is
pressed, and the run's frozen design in the run store holds exactly what every field showed.
Switching the optimizer carries the learning rate over or shows the new default, and a value
over its bound stays in its field, marked invalid, with Train disabled and the reason beside it."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from builder import load_design
from builder.recipes.optimizers import OPTIMIZER_RECIPES
from builder.recipes.schedules import SCHEDULE_RECIPES
from builder.recipes.tasks import task_of
from builder.runs.store import RunStore
from components.train_controls import switched_optimizer
from tests.components.people import as_person, folder
from tests.waiting import wait_until

pytestmark = pytest.mark.slow
TIMEOUT = 90
DONE = {"finished", "stopped", "cancelled", "error", "interrupted"}


def _script():
    import streamlit as st

    from builder.design.presets import load_preset
    from components import design_state as ds
    from components.train_area import render_train_area

    if "seeded" not in st.session_state:
        st.session_state.seeded = True
        ds.replace_design(load_preset(st.session_state["preset"]))
    render_train_area()


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return folder(tmp_path)


def _app(preset: str) -> AppTest:
    at = as_person(AppTest.from_function(_script, default_timeout=TIMEOUT))
    at.session_state["preset"] = preset
    at.run()
    assert not at.exception
    return at


def _widget(at, label):
    for widgets in (at.number_input, at.selectbox, at.checkbox):
        for widget in widgets:
            if widget.label == label:
                return widget
    raise AssertionError(f"no field {label!r} in the Train form")


def _set(at, label, value) -> None:
    _widget(at, label).set_value(value).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert _widget(at, label).value == value  # the field shows what was typed, after the rerun


def _trains_on(design) -> dict:
    """Every Train-form field's label with the value the design trains on."""
    training = design.training
    opt = training.get("optimizer") or {}
    recipe = OPTIMIZER_RECIPES[opt.get("type", "adam")]
    args = recipe.arguments(opt)
    sched = training.get("schedule") or {"type": "none"}
    values = {
        "Task": task_of(training),
        "Data set": training.get("dataset"),
        "Loss": training.get("loss"),
        "Optimizer": recipe.name,
        "Learning rate": recipe.learning_rate(opt),
        "Weight decay": args["weight_decay"],
        "Learning-rate schedule": sched["type"],
        "Batch size": training.get("batch_size", 64),
        "Epochs": training.get("epochs", 10),
        "Seed": training.get("seed", 0),
        "Label smoothing": training.get("label_smoothing", 0.0),
        "Fixed noise samples": training.get("noise_samples", 64),
        "Mixed precision (--amp)": training.get("amp", False),
        "Compile the model (--compile)": training.get("compile", False),
        "Momentum": args.get("momentum"),
        "Nesterov momentum": args.get("nesterov"),
    }
    if "betas" in args:
        values["β1"], values["β2"] = args["betas"]
    schedule = SCHEDULE_RECIPES[sched["type"]].values(sched)
    values["Every (epochs)"], values["Gamma"] = schedule.get("step_size"), schedule.get("gamma")
    return values


def _shown(at) -> dict:
    """The label and value of every field of the Train form (the data picker's aside)."""
    widgets = [*at.number_input, *at.selectbox, *at.checkbox]
    form = set(_trains_on(at.session_state["nb_design"]))
    return {w.label: w.value for w in widgets if w.label in form}


def _train_and_read(at, workspace):
    """Press Train; the run's frozen design as the run store holds it (the run is then stopped)."""
    train = next(b for b in at.button if b.label == "Train")
    assert not train.disabled
    train.click().run()
    assert not at.exception
    run_id = at.session_state["nb_watched_run"]
    store = RunStore(workspace)
    frozen = load_design(store.get_run(run_id)["design"])
    next(b for b in at.button if b.label == "Stop").click().run()
    wait_until(lambda: store.get_run(run_id)["status"] in DONE, 60, f"run {run_id} to end")
    return frozen


def _same(value):
    return pytest.approx(value) if isinstance(value, float) else value


def _assert_trains_what_it_shows(at, workspace, expected: dict) -> None:
    shown = _shown(at)
    for label, value in expected.items():
        assert shown[label] == _same(value), label
    frozen = _trains_on(_train_and_read(at, workspace))
    for label, value in shown.items():
        assert frozen[label] == _same(value), label


def test_every_field_of_an_sgd_run_trains_as_shown(workspace):
    at = _app("mlp_moons")
    edits = {
        "Optimizer": "sgd",
        "Learning rate": 0.2,
        "Weight decay": 0.001,
        "Momentum": 0.8,
        "Nesterov momentum": True,
        "Learning-rate schedule": "step",
        "Every (epochs)": 3,
        "Gamma": 0.5,
        "Batch size": 16,
        "Epochs": 2,
        "Seed": 7,
        "Loss": "nll",
        "Data set": "circles",
        "Mixed precision (--amp)": True,
    }
    for label, value in edits.items():
        _set(at, label, value)
    _assert_trains_what_it_shows(at, workspace, edits)


def test_every_field_of_an_adam_gan_run_trains_as_shown(workspace):
    at = _app("gan_moons")
    edits = {
        "Optimizer": "adamw",
        "Learning rate": 0.0005,
        "Weight decay": 0.02,
        "β1": 0.5,
        "β2": 0.99,
        "Learning-rate schedule": "cosine",
        "Batch size": 32,
        "Epochs": 1,
        "Seed": 3,
        "Label smoothing": 0.1,
        "Fixed noise samples": 16,
        "Compile the model (--compile)": True,
    }
    for label, value in edits.items():
        _set(at, label, value)
    _assert_trains_what_it_shows(at, workspace, edits)


@pytest.mark.parametrize(("rate", "new"), [(0.05, "rmsprop"), (10.0, "sgd")])
def test_switching_the_optimizer_carries_the_learning_rate_it_shows(workspace, rate, new):
    at = _app("mlp_moons")
    _set(at, "Optimizer", "adam")
    _set(at, "Learning rate", rate)
    _set(at, "Optimizer", new)
    assert _widget(at, "Learning rate").value == pytest.approx(rate)
    _set(at, "Epochs", 1)
    _assert_trains_what_it_shows(at, workspace, {"Optimizer": new, "Learning rate": rate})


def test_switching_the_optimizer_keeps_what_the_new_one_takes_and_drops_the_rest():
    old = {"optimizer": {"type": "sgd", "lr": 0.3, "momentum": 0.9, "nesterov": True}}
    assert switched_optimizer(old, "rmsprop") == {"type": "rmsprop", "lr": 0.3, "momentum": 0.9}
    assert switched_optimizer(old, "adam") == {"type": "adam", "lr": 0.3}
    # no rate named: the new optimizer's own default is what shows and trains
    assert switched_optimizer({"optimizer": {"type": "adam"}}, "sgd") == {"type": "sgd"}


def test_a_rate_over_its_bound_stays_marked_and_holds_train_back(workspace):
    at = _app("mlp_moons")
    before = at.session_state["nb_design"].training
    _widget(at, "Learning rate").set_value(100.0).run()
    assert not at.exception
    assert _widget(at, "Learning rate").value == 100.0  # the field shows what was typed
    errors = " | ".join(e.value for e in at.error)
    assert "lr must be at most 10, got 100" in errors  # a visible message under the field
    train = next(b for b in at.button if b.label == "Train")
    assert train.disabled
    reasons = " | ".join(c.value for c in at.caption)
    assert "Learning rate" in reasons and "at most 10" in reasons
    assert at.session_state["nb_design"].training == before  # nothing stored
    _set(at, "Learning rate", 0.5)  # fixed: the message goes and Train is back
    assert not next(b for b in at.button if b.label == "Train").disabled
    _set(at, "Epochs", 1)
    _assert_trains_what_it_shows(at, workspace, {"Learning rate": 0.5})
