"""Signing in: with Streamlit's sign-in configured, the folder is the signed-in user's."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from builder.people.designs import DesignLibrary
from builder.people.keys import user_key
from components.design_state import DESIGN_ID

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return tmp_path


def test_with_sign_in_configured_the_folder_is_the_signed_in_users(root):
    def page(user: dict) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
        at.user = user
        return at.run()

    stranger = page({"is_logged_in": False})
    assert not stranger.exception
    assert [b.label for b in stranger.button] == ["Sign in"]
    assert not (root / "people").exists()  # nothing is made for nobody

    ada = {"is_logged_in": True, "iss": "https://id.example", "sub": "ada", "email": "a@x"}
    first, second = page(ada), page(ada)  # two browsers, one person
    assert first.session_state[DESIGN_ID] == second.session_state[DESIGN_ID]
    key = user_key("https://id.example", "ada")
    assert DesignLibrary(root / "people" / key).exists(first.session_state[DESIGN_ID])
    other = page({**ada, "sub": "bob"})
    assert other.session_state[DESIGN_ID] != first.session_state[DESIGN_ID]
