"""The Train area's Health view and learning-rate finder, driven through AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from builder.design.spec import load_design
from builder.runs.store import RunStore
from builder.training.control import RunControl
from builder.training.runner import run_loop
from tests.builder.helpers import sigmoid_mlp
from tests.components.people import as_person, folder
from tests.components.train_app import train_page as _script

TIMEOUT = 300


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return folder(tmp_path)


def _app(design: dict) -> AppTest:
    at = as_person(AppTest.from_function(_script, default_timeout=TIMEOUT))
    at.session_state["design"] = design
    return at.run()


@pytest.mark.slow
def test_health_view_shows_a_recorded_runs_alerts_and_its_fix_applies(workspace):
    design = sigmoid_mlp(6)
    store = RunStore(workspace)
    at = _app(design)  # the page opens the design as a document: its runs are shown
    run_id = store.create_run(load_design(design), design_id=at.session_state["nb_design_id"])
    control = RunControl([store.sink(run_id)])
    run_loop(None, design, control, epochs=3, health_every=5)
    at.run()
    assert not at.exception
    shown = " | ".join(e.value.replace("\\", "") for e in at.error)  # markdown escapes
    assert "vanishing_gradients at h1" in shown
    button = next(b for b in at.button if b.key.endswith("health:relu_everywhere"))
    assert button.label.replace("\\", "") == "Switch sigmoid and tanh to ReLU (6 layers)"
    before = at.session_state["nb_design"]
    button.click().run()
    assert not at.exception
    after = at.session_state["nb_design"]
    dense = [n for n in after.models["model"].nodes if n.type == "Dense"]
    assert {n.params.get("activation") for n in dense} == {"relu", None}
    assert at.session_state["nb_undo"][-1] == before  # Undo brings the sigmoids back


@pytest.mark.slow
def test_learning_rate_finder_shows_its_curve_and_sets_the_rate(workspace):
    design = sigmoid_mlp(2)
    at = _app(design)
    next(b for b in at.button if b.key == "nb_lr_find").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    use = next(b for b in at.button if b.key == "nb_lr_use")
    suggested = float(use.label.rsplit(" ", 1)[1])
    use.click().run()
    lr = next(n for n in at.number_input if n.label == "Learning rate")
    assert lr.value == pytest.approx(suggested)
