"""The Train form's advanced options (mixed precision, compilation) are the design's training
settings, so the exported train.py starts with them on (through Streamlit's AppTest)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from builder.design.presets import load_preset
from builder.export.files import export_files
from tests.components.people import as_person, folder
from tests.components.train_app import train_page as _script


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return folder(tmp_path)


def test_amp_and_compile_are_stored_in_the_design_and_carried_by_the_export(workspace):
    at = as_person(AppTest.from_function(_script, default_timeout=90))
    at.session_state["design"] = load_preset("mlp_moons").to_json()
    at.run()
    assert not at.exception
    boxes = {box.label: box for box in at.checkbox}
    assert boxes["Mixed precision (--amp)"].value is False
    assert boxes["Compile the model (--compile)"].value is False
    boxes["Mixed precision (--amp)"].check().run()
    boxes = {box.label: box for box in at.checkbox}
    boxes["Compile the model (--compile)"].check().run()
    assert not at.exception
    design = at.session_state["nb_design"]
    assert design.training["amp"] is True and design.training["compile"] is True
    script = export_files(design)["train.py"]
    assert "AMP = True" in script and "COMPILE = True" in script
