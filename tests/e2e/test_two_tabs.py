"""Two tabs of one person on one design, in a real browser: the tab that saved first keeps its
work, and the stale tab is told and offered the newer version or a copy, never overwriting."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from builder.design.presets import load_preset
from builder.people.designs import DesignLibrary
from tests.e2e.canvas_helpers import drop, eventually, node, open_preset, wait_nodes
from tests.e2e.conftest import START_TIMEOUT_S, wait_idle

MOONS = [n.id for n in load_preset("mlp_moons").models["model"].nodes]


def design_id(page) -> str:
    return parse_qs(urlparse(page.url).query)["design"][0]


def open_tab(context, url: str):
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    tab.goto(url)
    tab.wait_for_selector("[data-palette-item=Input]", timeout=START_TIMEOUT_S * 1000)
    wait_idle(tab)
    return tab


def drag_by(page, node_id: str, dx: float, dy: float) -> None:
    head = node(page, node_id).locator(".nb-node-head")
    box = head.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()
    wait_idle(page)


def test_a_stale_tab_never_overwrites_the_other_and_is_offered_a_copy(page, app_server, shot):
    open_preset(page, "mlp_moons")
    shared_id = design_id(page)
    tab_b = open_tab(page.context, f"{app_server.url}/?design={shared_id}")  # same person
    assert design_id(tab_b) == shared_id
    assert sorted(wait_nodes(tab_b, MOONS)) == sorted(MOONS)
    lib = DesignLibrary(app_server.person_folder(page))

    # Tab A renames the design and adds a node; both are saved.
    page.bring_to_front()
    name = page.get_by_label("Design name", exact=True)
    name.fill("renamed in A")
    name.press("Enter")
    wait_idle(page)
    drop(page, "Dropout", 120, 420)
    grown = wait_nodes(page, [*MOONS, "dropout1"])
    assert "dropout1" in grown
    assert eventually(lambda: lib.load(shared_id).name == "renamed in A")
    of_a = lib.load(shared_id)
    assert of_a.models["model"].node("dropout1") is not None

    # Tab B, which saw none of it, moves a node: not saved, and B is told.
    tab_b.bring_to_front()
    before = dict(of_a.layout)
    drag_by(tab_b, MOONS[0], 90, 40)
    warning = tab_b.locator(".st-key-nb_stale_design")
    warning.wait_for(timeout=15_000)
    assert "changed in another tab" in warning.inner_text()
    folder = shot("tab-a").parent
    tab_b.screenshot(path=str(folder / "tab-b-told.png"))
    assert lib.load(shared_id) == of_a  # A's rename and new node survive, untouched
    assert lib.load(shared_id).layout == before

    # B keeps its version as a copy; the shared design stays A's.
    tab_b.locator(".st-key-nb_stale_save_copy button").click()
    wait_idle(tab_b)
    assert eventually(lambda: design_id(tab_b) != shared_id)
    copy = lib.load(design_id(tab_b))
    assert copy.name.endswith("(copy)") and copy.models["model"].node("dropout1") is None
    assert copy.layout[MOONS[0]] != before[MOONS[0]]  # B's move, kept
    assert tab_b.locator(".st-key-nb_stale_design").count() == 0
    assert lib.load(shared_id) == of_a
    assert not page.errors and not tab_b.errors
