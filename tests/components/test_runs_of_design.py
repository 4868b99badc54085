"""Runs belong to their design (AppTest): the Train area shows only the open design's runs, its
status line names the design and the run, and a design without runs says so and offers Train."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from builder.design.presets import load_preset
from builder.runs.store import RunStore
from components.design_state import DESIGN_ID
from components.run_session import WATCHED
from tests.components.people import as_person, folder

pytestmark = pytest.mark.slow
TIMEOUT = 60


def _script():
    import streamlit as st

    from builder.design.presets import load_preset
    from components import design_state as ds
    from components.train_area import render_train_area

    if "seeded" not in st.session_state:
        st.session_state.seeded = True
        ds.replace_design(load_preset("lenet_digits"))
    render_train_area()


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return folder(tmp_path)


def _status(at) -> str:
    return " | ".join(p.proto.text.replace("\\", "") for p in at.get("progress"))


def _finished_run(store, design_id, accuracy) -> int:
    run_id = store.create_run(load_preset("mlp_moons"), design_id=design_id)
    store.add_metrics(run_id, 1, {"epoch": 1, "train_loss": 0.5, "val_accuracy": accuracy})
    store.finish_run(run_id, "finished", final={"val_accuracy": accuracy})
    return run_id


def test_another_designs_run_is_never_shown_and_an_empty_design_offers_train(workspace):
    store = RunStore(workspace)
    other = _finished_run(store, "someone-elses-document", 0.894)
    at = as_person(AppTest.from_function(_script, default_timeout=TIMEOUT)).run()
    assert not at.exception
    name = at.session_state["nb_design"].name
    status = _status(at)
    assert f"“{name}” has no runs yet" in status and "press Train" in status
    assert "Run #" not in status and "89.4%" not in " ".join(m.value for m in at.metric)
    assert not next(b for b in at.button if b.label == "Train").disabled
    at.session_state[WATCHED] = other  # a pick of another design's run is not shown either
    at.run()
    assert "Run #" not in _status(at)

    mine = _finished_run(store, at.session_state[DESIGN_ID], 0.5)
    at.run()
    assert f"“{name}” · Run #{mine} · Finished" in _status(at)
    assert [m.value for m in at.metric if m.label == "Validation accuracy"] == ["50.0%"]
