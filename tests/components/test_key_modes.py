"""Key formats are tied to the mode: with sign-in off, a key shaped like a signed-in user's
folder opens nothing; with sign-in on, a browser's key opens nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from builder.design.presets import load_preset
from builder.people.designs import DesignLibrary
from builder.people.keys import new_key, person_dir, user_key
from components.design_state import DESIGN_ID
from components.person import PERSON

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return tmp_path


def test_without_sign_in_a_signed_in_users_folder_name_opens_nothing(root):
    ada = user_key("https://id.example", "ada")
    DesignLibrary(person_dir(root, ada)).create(load_preset("lenet_digits"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PERSON] = ada  # what a browser holding that name as its key would say
    at.run()
    assert not at.exception
    assert DESIGN_ID not in at.session_state  # no design of Ada's was opened
    assert any("Opening your workspace" in c.value for c in at.caption)


def test_with_sign_in_a_browser_key_opens_nothing(root):
    key = new_key()
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.user = {"is_logged_in": False}
    at.session_state[PERSON] = key
    at.run()
    assert not at.exception and DESIGN_ID not in at.session_state
    assert [b.label for b in at.button] == ["Sign in"]
    assert not (root / "people" / key).exists()
