"""Two people on one server: their uploads of one name stay theirs, in every server-wide cache."""

from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest

from builder.data.uploads import dataset_setting, save_upload
from builder.design.presets import load_preset
from builder.runs.store import RunStore
from tests.components.people import as_person, folder

ADA = "isolation-test-ada-000000000000000"
BOB = "isolation-test-bob-000000000000000"


def _script():
    import streamlit as st

    from builder.design.presets import load_preset
    from components.data_picker import load_for

    design = load_preset("mlp_moons").with_training(dataset=st.session_state.spec)
    data, error = load_for(design)
    st.session_state.seen = (None if data is None else data.x_train.shape[0], error)


def test_same_named_uploads_of_two_people_are_never_mixed(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    rows = {ADA: 40, BOB: 90}
    for key, count in rows.items():
        raw = b"a,b,label\n" + b"".join(b"%d,%d,%d\n" % (i, -i, i % 2) for i in range(count))
        path = save_upload("mine.csv", raw, folder(tmp_path, key))
        os.rename(path, path.with_name("mine.csv"))  # one name, one time: only the owner differs
        os.utime(path.with_name("mine.csv"), (1_000_000, 1_000_000))
    spec = dataset_setting("mine.csv", folder(tmp_path, ADA) / "data" / "mine.csv", "label")
    assert spec["path"] == "mine.csv"
    seen = {}
    for key in (ADA, BOB, ADA):
        at = as_person(AppTest.from_function(_script, default_timeout=60), key)
        at.session_state["spec"] = spec
        at.run()
        assert not at.exception
        seen.setdefault(key, []).append(at.session_state["seen"])
    train = {key: shapes[0][0] for key, shapes in seen.items()}
    assert train[ADA] < train[BOB]  # each read their own file (40 rows against 90)
    assert seen[ADA][0] == seen[ADA][1]


def _runs_script():
    import streamlit as st

    from components import design_state as ds
    from components.runs_panel import render_runs_area

    st.session_state.opened = ds.current_design().name
    render_runs_area()


def test_an_old_single_person_workspace_opens_as_the_first_persons(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    (tmp_path / "design.json").write_text(load_preset("lenet_digits").to_json())
    store = RunStore(tmp_path)
    run_id = store.create_run(load_preset("lenet_digits"))
    store.add_metrics(run_id, 1, {"epoch": 1, "train_loss": 0.5, "val_loss": 0.4})
    store.finish_run(run_id, "finished", final={"val_loss": 0.4})

    first = as_person(AppTest.from_function(_runs_script, default_timeout=60), ADA).run()
    assert not first.exception and first.session_state["opened"] == "lenet_digits"
    assert list(first.dataframe[0].value["run"]) == [run_id]
    later = as_person(AppTest.from_function(_runs_script, default_timeout=60), BOB).run()
    assert later.session_state["opened"] == "untitled"  # the next person starts afresh
    assert any("No runs yet" in i.value for i in later.info)
