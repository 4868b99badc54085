"""Saving from the page: an edit loading would refuse is refused in the page (the last good design
stays, on the page and on disk), and two tabs on one design never overwrite each other."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components import design_state as ds
from tests.components.design_app import APP, KEY, canvas_data, inject, nodes, start
from tests.components.people import KEY as PERSON_KEY
from tests.components.people import as_person, folder, saved_design


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return tmp_path


def _nodes(*ids_and_types, x=50):
    return [{"id": i, "type": t, "x": x, "y": 100 * k} for k, (i, t) in enumerate(ids_and_types)]


GOOD = [("i", "Input"), ("d", "Dense")]
# What a canvas (or a hand-made message from the browser) may send that no file may hold.
OVER_LIMIT = {
    "id of 201 characters": (_nodes(*GOOD, ("n" * 201, "Dropout")), '"id": 201 characters'),
    "id that is not text": (_nodes(*GOOD, ("a\udc80", "Dropout")), "U+DC80"),
    "2,001 nodes": (
        _nodes(*GOOD, *[(f"x{k}", "Dropout") for k in range(1999)]),
        "2,001 nodes, more than 2,000",
    ),
    "position past 2^53": (_nodes(*GOOD, x=1e300), "layout.i[0]"),
}


@pytest.mark.parametrize("case", OVER_LIMIT)
def test_an_over_limit_canvas_edit_is_refused_and_the_last_good_design_kept(workspace, case):
    at = inject(start(), GOOD, [["i", "d"]])
    good = saved_design(workspace, at)
    rev = canvas_data(at)["rev"]
    sent, field = OVER_LIMIT[case]
    at.session_state[KEY] = {"graph": {"nodes": sent, "edges": [], "rev": rev}}
    at.run()
    assert not at.exception
    shown = [e.value for e in at.error]
    assert any("not applied" in text and field in text.replace("\\", "") for text in shown), shown
    assert list(nodes(at)) == ["i", "d"] and at.session_state[ds.DESIGN] == good
    assert canvas_data(at)["rev"] == rev + 1  # the canvas is shown the last good design again
    assert saved_design(workspace, at) == good
    again = start()  # a reload opens the last good design: nothing was set aside
    assert list(nodes(again)) == ["i", "d"] and not again.warning
    inject(at, [*GOOD, ("o", "Dense")], [["i", "d"], ["d", "o"]])  # editing goes on
    assert list(saved_design(workspace, at).models["model"].node("o").params) == []


def test_a_design_that_cannot_be_read_is_reported_without_its_place(workspace):
    at = inject(start(), GOOD, [["i", "d"]])
    design_id = at.session_state[ds.DESIGN_ID]
    designs = folder(workspace) / "designs"
    text = (designs / f"{design_id}.json").read_text()
    (designs / f"{design_id}.json").write_text(text.replace('"d"', '"' + "d" * 300 + '"'))
    again = start()
    warnings = [w.value for w in again.warning]
    assert any("cannot be read" in w and "300 characters" in w for w in warnings), warnings
    assert all(PERSON_KEY not in w and str(workspace) not in w for w in warnings)
    assert any(f"{design_id}\\.unreadable\\.json" in w for w in warnings)
    assert (designs / f"{design_id}.unreadable.json").exists()


def _tab(design_id: str) -> AppTest:
    """A second tab of the same person on the same design (the address names it)."""
    at = as_person(AppTest.from_file(APP, default_timeout=60))
    at.query_params[ds.ID_PARAM] = design_id
    at.run()
    assert not at.exception and at.session_state[ds.DESIGN_ID] == design_id
    return at


def _two_tabs_then_stale_move(workspace):
    tab_a = inject(start(), GOOD, [["i", "d"]])
    design_id = tab_a.session_state[ds.DESIGN_ID]
    tab_b = _tab(design_id)
    tab_a.text_input[0].set_value("renamed in A").run()
    inject(tab_a, [*GOOD, ("o", "Dense")], [["i", "d"], ["d", "o"]])
    of_a = saved_design(workspace, tab_a)
    moved = _nodes(*GOOD)
    moved[0]["x"] = 777
    tab_b.session_state[KEY] = {
        "graph": {"nodes": moved, "edges": [["i", "d"]], "rev": canvas_data(tab_b)["rev"]}
    }
    tab_b.run()
    assert not tab_b.exception
    return tab_a, tab_b, design_id, of_a


def test_a_stale_tab_is_told_and_the_other_tabs_work_survives(workspace):
    tab_a, tab_b, design_id, of_a = _two_tabs_then_stale_move(workspace)
    assert saved_design(workspace, tab_a) == of_a  # A's rename and node are still saved
    assert of_a.name == "renamed in A" and [n.id for n in of_a.models["model"].nodes] == [
        "i", "d", "o",
    ]  # fmt: skip
    assert any("changed in another tab" in w.value for w in tab_b.warning)
    assert tab_b.session_state[ds.DESIGN].layout["i"] == [777, 0]  # B's move is not lost
    tab_b.button(key="nb_stale_save_copy").click().run()
    copy_id = tab_b.session_state[ds.DESIGN_ID]
    assert copy_id != design_id and not tab_b.warning
    copy = saved_design(workspace, tab_b)
    assert copy.layout["i"] == [777, 0] and copy.name.endswith("(copy)")
    assert ds.DesignLibrary(folder(workspace)).load(design_id) == of_a
    inject(tab_b, [*GOOD, ("b", "Dropout")], [["i", "d"]])  # the copy saves as any design
    assert saved_design(workspace, tab_b).models["model"].node("b") is not None


def test_a_stale_tab_can_take_the_newer_version_and_go_on_editing(workspace):
    tab_a, tab_b, design_id, of_a = _two_tabs_then_stale_move(workspace)
    inject(tab_b, [*GOOD, ("z", "Dropout")], [["i", "d"]])  # still stale: still not written
    assert saved_design(workspace, tab_a) == of_a
    tab_b.button(key="nb_stale_open_newer").click().run()
    assert tab_b.session_state[ds.DESIGN_ID] == design_id and not tab_b.warning
    assert list(nodes(tab_b)) == ["i", "d", "o"] and tab_b.text_input[0].value == "renamed in A"
    inject(tab_b, [*GOOD, ("o", "Dense"), ("p", "Dropout")], [["i", "d"], ["d", "o"]])
    assert [n.id for n in saved_design(workspace, tab_b).models["model"].nodes][-1] == "p"
