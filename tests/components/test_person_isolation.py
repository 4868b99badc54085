"""Two people on one server: their uploads of one name stay theirs, in every server-wide cache."""

from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest

from builder.data.uploads import dataset_setting, save_upload
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
