"""Driving the app's Design area in AppTest: start it as a person, read what the canvas was sent,
and send it a graph as the canvas would."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.components.people import as_person

APP = str(Path(__file__).resolve().parents[2] / "app.py")
KEY = "nb_canvas_model"


def start() -> AppTest:
    at = as_person(AppTest.from_file(APP, default_timeout=60)).run()
    assert not at.exception
    return at


def canvas_data(at: AppTest, index: int = 0) -> dict:
    return json.loads(at.get("bidi_component")[index].proto.json)


def nodes(at: AppTest) -> dict:
    return {n["id"]: n for n in canvas_data(at)["graph"]["nodes"]}


def inject(at: AppTest, nodes_, edges, selected=None, rev=None, key=KEY) -> AppTest:
    payload = {
        "nodes": [{"id": i, "type": t, "x": 50, "y": 100 * k} for k, (i, t) in enumerate(nodes_)],
        "edges": edges,
        "selected": selected,
        "rev": canvas_data(at)["rev"] if rev is None else rev,
    }
    at.session_state[key] = {"graph": payload}
    at.run()
    assert not at.exception
    return at
