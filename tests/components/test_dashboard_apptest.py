"""The Train, Runs and Export areas driven through Streamlit's AppTest (no browser)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from builder.design.presets import load_preset
from builder.design.settings import OPTIMIZER_PARAMS, TRAINING_PARAMS
from builder.export.files import export_files
from builder.runs.store import RunStore
from builder.runs.thread import ThreadRun
from components.design_state import DESIGN_ID
from components.runs_panel import filter_runs, table_rows
from tests.components.people import as_person, folder, saved_design
from tests.waiting import wait_until

TIMEOUT = 60


def _train_script():
    import streamlit as st

    from builder.design.presets import load_preset
    from components import design_state as ds
    from components.train_area import render_train_area

    if "seeded" not in st.session_state:
        st.session_state.seeded = True
        ds.replace_design(load_preset(st.session_state.get("preset", "lenet_digits")))
    render_train_area()


def _area_script():
    import streamlit as st

    from builder.design.presets import load_preset
    from components import design_state as ds
    from components.export_panel import render_export_area
    from components.runs_panel import render_runs_area

    if "seeded" not in st.session_state:
        st.session_state.seeded = True
        ds.replace_design(load_preset("mlp_moons"))
    {"runs": render_runs_area, "export": render_export_area}[st.session_state.area]()


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """The test person's folder (their designs, runs, uploads) under a fresh workspace root."""
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return folder(tmp_path)


def _app(script, **state) -> AppTest:
    at = as_person(AppTest.from_function(script, default_timeout=TIMEOUT))
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def _by_label(widgets, label):
    return next(w for w in widgets if w.label == label)


def _plain(text: str) -> str:
    return text.replace("\\", "")  # the page escapes markdown in user-facing text


def _errors(at) -> str:
    return _plain(" | ".join(e.value for e in at.error))


def _live_charts(at) -> list[dict]:
    """The figures the live charts (components-v2 elements) were given."""
    return [
        json.loads(json.loads(el.proto.json)["spec"])
        for el in at.get("bidi_component")
        if el.proto.component_name == "netbuilder.live_chart"
    ]


def _train_button(at):
    return next(b for b in at.button if b.label == "Train")


def _design(at):
    return at.session_state["nb_design"]


def test_settings_write_the_design_and_misfits_are_explained_before_train(workspace):
    at = _app(_train_script)
    assert not at.exception and not at.error
    assert not _train_button(at).disabled
    _by_label(at.number_input, "Epochs").set_value(3).run()
    assert _design(at).training["epochs"] == 3
    _by_label(at.selectbox, "Data set").set_value("spirals").run()
    assert _design(at).training["dataset"] == "spirals"
    text = _errors(at)
    assert "[2]" in text and "[1, 8, 8]" in text and "3 classes" in text
    assert _train_button(at).disabled
    _by_label(at.selectbox, "Data set").set_value("digits").run()
    _by_label(at.selectbox, "Loss").set_value("mse").run()
    assert "'mse' does not fit the task 'classification'" in _errors(at)  # refused at the field
    assert _design(at).training["loss"] == "cross_entropy"
    assert _by_label(at.selectbox, "Loss").value == "mse"  # still shown, marked, holding Train
    assert _train_button(at).disabled
    _by_label(at.selectbox, "Loss").set_value("cross_entropy").run()
    _by_label(at.selectbox, "Optimizer").set_value("sgd").run()
    training = _design(at).training
    assert training["optimizer"] == {"type": "sgd", "lr": 0.002}  # the shown rate carries over
    assert _by_label(at.number_input, "Learning rate").value == 0.002
    assert any(w.label == "Momentum" for w in at.number_input)
    assert not at.error and not _train_button(at).disabled
    assert saved_design(workspace, at).to_json().count('"sgd"') == 1  # autosaved


def test_task_change_picks_a_loss_that_fits(workspace):
    at = _app(_train_script, preset="mlp_moons")
    _by_label(at.selectbox, "Task").set_value("regression").run()
    assert _design(at).training["loss"] == "mse"


def test_a_finished_run_shows_its_metrics_charts_and_feature_maps(workspace):
    design = load_preset("mlp_moons").with_training(epochs=2, batch_size=100)
    at = _app(_train_script, preset="mlp_moons")
    store = RunStore(workspace)
    run_id = store.create_run(design, design_id=at.session_state[DESIGN_ID])  # this design's run
    run = ThreadRun(
        design, out_dir=store.run_dir(run_id), step_every=50, sinks=[store.sink(run_id)]
    )
    run.join(120)
    at.run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["Validation accuracy"].endswith("%")
    assert any("Run #1 · Finished" in _plain(p.proto.text) for p in at.get("progress"))
    charts = _live_charts(at)
    titles = {fig["layout"]["title"]["text"] for fig in charts}
    assert {"Loss", "Validation accuracy", "Learning rate", "Confusion matrix (epoch 2)"} <= titles
    loss = next(fig for fig in charts if fig["layout"]["title"]["text"] == "Loss")
    assert [len(t["x"]) for t in loss["data"][1:]] == [2, 2]  # train and validation, per epoch
    assert loss["layout"]["meta"] == {"run": run_id}  # whose points the chart shows
    assert any(_plain(c.value).startswith("Using the weights of run #1") for c in at.caption)
    verdicts = [_plain(v.value) for v in [*at.success, *at.warning] if "Predicted" in v.value]
    assert len(verdicts) == 1 and "the label is" in verdicts[0]  # right or wrong, in words


def test_export_shows_the_files_text_and_checks_onnx(workspace):
    at = _app(_area_script, area="export")
    assert not at.exception
    texts = export_files(load_preset("mlp_moons"))
    shown = [c.value for c in at.code]
    assert shown == [t.rstrip("\n") for t in texts.values()]  # st.code drops the last newline
    onnx = next(b for b in at.button if "ONNX" in b.label)
    onnx.click().run()
    assert any("onnxruntime matches PyTorch" in s.value for s in at.success)


def test_runs_table_rows_and_filters():
    runs = [
        {"id": 2, "name": "gan", "task": "gan", "dataset": "moons", "status": "finished",
         "epochs_done": 3, "final": {"d_loss": 1.2, "g_loss": 0.8}, "started_at": 10.0,
         "ended_at": 12.5, "error": None},
        {"id": 1, "name": "lenet", "task": "classification", "dataset": "digits",
         "status": "error", "epochs_done": 0, "final": None, "started_at": 1.0,
         "ended_at": 2.0, "error": "the loss became NaN at step 3"},
    ]  # fmt: skip
    rows = table_rows(runs)
    assert rows[0]["result"] == "D 1.200 · G 0.800" and rows[0]["seconds"] == 2.5
    assert "NaN" in rows[1]["result"]
    assert [r["id"] for r in filter_runs(runs, "LEN", [], [])] == [1]
    assert [r["id"] for r in filter_runs(runs, "", ["gan"], [])] == [2]
    assert [r["id"] for r in filter_runs(runs, "", [], ["error"])] == [1]
    assert [r["id"] for r in filter_runs(runs, "digits", [], [])] == [1]


def test_runs_area_lists_recorded_runs(workspace):
    store = RunStore(workspace)
    for _ in range(2):
        run_id = store.create_run(load_preset("mlp_moons").with_training(epochs=1))
        store.add_metrics(run_id, 1, {"epoch": 1, "train_loss": 0.5, "val_loss": 0.4})
        store.finish_run(run_id, "finished", final={"val_loss": 0.4})
    at = _app(_area_script, area="runs")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["run"]) == [2, 1] and set(table["status"]) == {"finished"}
    assert "2 of 2 runs" in at.caption[0].value


def test_number_fields_take_limits_and_help_from_the_declarations(workspace):
    at = _app(_train_script)
    declared = {p.name: p for p in TRAINING_PARAMS + OPTIMIZER_PARAMS}
    batch = _by_label(at.number_input, "Batch size")
    assert not batch.proto.has_max  # checked here and explained at the field, not clamped
    assert batch.proto.help == f"{declared['batch_size'].help} (at least 1, at most 65536)"
    lr = _by_label(at.number_input, "Learning rate")
    assert not lr.proto.has_min
    lr.set_value(0.0).run()
    assert "lr" in _errors(at) and _design(at).training["optimizer"]["lr"] > 0


def _interval_script():
    import streamlit as st

    from builder.design.presets import load_preset
    from components import design_state as ds
    from components import run_session as rs
    from components.live_view import refresh_interval
    from components.train_area import render_train_area

    if "seeded" not in st.session_state:
        st.session_state.seeded = True
        ds.replace_design(load_preset("lenet_digits").with_training(epochs=500))
    render_train_area()
    st.session_state.interval = refresh_interval(rs.watched())


def test_the_live_view_redraws_on_a_timer_only_while_a_run_trains(workspace):
    from components.live_view import PAUSE_SETTLE_S, PAUSED_REFRESH_S, REFRESH_S

    at = _app(_interval_script)
    assert at.session_state.interval is None  # nothing to redraw: no timer, no browser work
    _train_button(at).click().run()
    assert not at.exception and at.session_state.interval == REFRESH_S
    next(b for b in at.button if b.label == "Pause").click().run()
    assert at.session_state.interval == REFRESH_S  # steps from before the pause still arrive
    # Once the pause has settled, the page redraws at the paused pace.
    settled = lambda: at.run().session_state.interval == PAUSED_REFRESH_S  # noqa: E731
    wait_until(settled, PAUSE_SETTLE_S + 30, "the paused pace of redraws", every=0.5)
    next(b for b in at.button if b.label == "Resume").click().run()
    assert at.session_state.interval == REFRESH_S
    next(b for b in at.button if b.label == "Stop").click().run()
    assert at.session_state.interval is None
    assert any("Stopped" in _plain(p.proto.text) for p in at.get("progress"))
