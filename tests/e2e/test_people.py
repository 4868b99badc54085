"""Each person's own designs and runs, in a real browser: two people (two browser contexts) and
two tabs of one person, share links, My designs, hostile keys and ids, and the run queue."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import pytest

from builder.design.presets import load_preset
from builder.people.designs import DesignLibrary
from builder.runs.store import RunStore
from tests.e2e.canvas_helpers import node_ids, open_preset, wait_nodes
from tests.e2e.conftest import (
    ROOT,
    START_TIMEOUT_S,
    VIEWPORT,
    free_port,
    stop_app,
    wait_healthy,
    wait_idle,
)
from tests.e2e.dashboard_helpers import (
    click,
    open_area,
    set_number,
    wait_for_status,
)

LENET = [n.id for n in load_preset("lenet_digits").models["model"].nodes]
MOONS = [n.id for n in load_preset("mlp_moons").models["model"].nodes]


def open_page(context, url: str):
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector("[data-palette-item=Input]", timeout=START_TIMEOUT_S * 1000)
    wait_idle(page)
    return page


@pytest.fixture
def other(app_server, browser, page):
    """A second person: a browser context of their own, on the same server."""
    context = browser.new_context(viewport=VIEWPORT)
    yield open_page(context, app_server.url)
    context.close()


def design_id(page) -> str:
    return parse_qs(urlparse(page.url).query)["design"][0]


def reload(page) -> None:
    page.reload()
    page.wait_for_selector("[data-palette-item=Input]", timeout=START_TIMEOUT_S * 1000)
    wait_idle(page)


def my_designs(page):
    """The My designs popover's body, opened unless it still is (it stays open after a click
    inside it that did not reload the page)."""
    body = page.locator("[data-testid=stPopoverBody]").filter(has_text="New design")
    if not body.is_visible():
        page.locator(".st-key-nb_my_designs button").first.click()
    body.wait_for()
    return body


def test_two_people_never_see_each_others_designs_or_runs(page, other, app_server, shot):
    open_preset(page, "lenet_digits")
    open_preset(other, "mlp_moons")
    reload(page)
    assert sorted(wait_nodes(page, LENET)) == sorted(LENET)  # still A's, not B's
    assert app_server.person_folder(page) != app_server.person_folder(other)

    # A trains; B, who never did, sees no runs, and A's design id in B's page opens nothing.
    open_area(page, "Train")
    set_number(page, "Epochs", 1)
    click(page, "nb_train")
    wait_for_status(page, "Finished")
    open_area(other, "Runs")
    assert other.get_by_text("No runs yet").is_visible()
    assert RunStore(app_server.person_folder(page)).list_runs()[0]["design_id"] == design_id(page)

    stolen = design_id(page)
    other.goto(f"{app_server.url}/?design={stolen}")
    other.wait_for_selector("[data-palette-item=Input]", timeout=START_TIMEOUT_S * 1000)
    wait_idle(other)
    assert other.get_by_text(f"There is no design {stolen} in your designs").is_visible()
    assert sorted(wait_nodes(other, MOONS)) == sorted(MOONS)
    assert design_id(other) != stolen
    shot("other-person")
    assert not page.errors and not other.errors


def test_two_tabs_keep_their_own_designs_and_a_bare_address_opens_the_latest(
    page, app_server, shot
):
    open_preset(page, "lenet_digits")
    first = design_id(page)
    second_tab = open_page(page.context, app_server.url)  # no id: the latest, LeNet
    assert design_id(second_tab) == first
    open_preset(second_tab, "mlp_moons")  # a new design; the first tab's is untouched
    assert design_id(second_tab) != first
    reload(page)
    assert design_id(page) == first and sorted(wait_nodes(page, LENET)) == sorted(LENET)
    third_tab = open_page(page.context, app_server.url)
    assert design_id(third_tab) == design_id(second_tab)  # the most recently edited
    lib = DesignLibrary(app_server.person_folder(page))
    assert {c["name"] for c in lib.list()} >= {"LeNet on digits", "MLP on moons"}
    shot("two-tabs")


def test_a_shared_link_gives_its_opener_their_own_copy(page, other, app_server, shot):
    open_preset(page, "lenet_digits")
    body = my_designs(page)
    body.get_by_role("button", name="Copy link").first.click()
    wait_idle(page)
    link = page.locator("[data-testid=stPopoverBody] [data-testid=stCode]").inner_text().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?shared=[A-Za-z0-9_-]{22,}", link)
    assert design_id(page) not in link and app_server.person_folder(page).name not in link
    shot("link")

    other.goto(link)
    other.wait_for_selector("[data-palette-item=Input]", timeout=START_TIMEOUT_S * 1000)
    wait_idle(other)
    assert sorted(wait_nodes(other, LENET)) == sorted(LENET)
    assert "shared" not in other.url and design_id(other) != design_id(page)
    copy = app_server.open_design_file(other)
    assert copy.exists() and app_server.person_folder(other) in copy.parents
    # The copy is theirs to edit: renaming it changes nothing of the sender's.
    name = other.get_by_label("Design name", exact=True)
    name.fill("my lenet")
    name.press("Enter")
    wait_idle(other)
    assert json.loads(copy.read_text())["name"] == "my lenet"
    assert json.loads(app_server.open_design_file(page).read_text())["name"] == "LeNet on digits"
    shot("copy")


def test_my_designs_open_rename_duplicate_delete_and_restore(page, app_server, shot):
    open_preset(page, "lenet_digits")
    lenet = design_id(page)
    open_preset(page, "mlp_moons")
    body = my_designs(page)
    body.locator(f".st-key-nb_doc_open_{lenet} button").click()
    wait_idle(page)
    assert design_id(page) == lenet and sorted(wait_nodes(page, LENET)) == sorted(LENET)
    shot("opened")

    body = my_designs(page)
    body.locator(f".st-key-nb_doc_dup_{lenet} button").click()
    wait_idle(page)
    copy = design_id(page)
    assert copy != lenet and sorted(node_ids(page)) == sorted(LENET)
    lib = DesignLibrary(app_server.person_folder(page))
    assert lib.load(copy).name == "LeNet on digits (copy)"

    body = my_designs(page)
    field = body.locator(f".st-key-nb_doc_{lenet} input")
    field.fill("the original")
    field.press("Enter")
    wait_idle(page)
    assert lib.load(lenet).name == "the original"

    body = my_designs(page)
    body.locator(f".st-key-nb_doc_del_{copy} button").click()
    wait_idle(page)
    assert lib.exists(copy)  # nothing happens before the confirmation
    body.locator(f".st-key-nb_doc_yes_{copy} button").click()
    wait_idle(page)
    assert not lib.exists(copy) and design_id(page) != copy
    body = my_designs(page)
    body.get_by_text("Recently deleted").click()
    body.locator(f".st-key-nb_doc_restore_{copy} button").click()
    wait_idle(page)
    assert lib.exists(copy) and design_id(page) == copy
    shot("restored")
    assert not page.errors


def test_hostile_keys_and_ids_name_nothing_outside_the_workspace(browser, app_server):
    context = browser.new_context(viewport=VIEWPORT)
    host = urlparse(app_server.url).hostname
    context.add_cookies(
        [{"name": "netbuilder_key", "value": "..%2F..%2Fescape", "domain": host, "path": "/"}]
    )
    try:
        page = open_page(context, f"{app_server.url}/?design=..%2F..%2Fetc&shared=..%2Fx")
        assert page.get_by_text("Could not open the shared design").is_visible()
        folder = app_server.person_folder(page)
        assert folder.parent == app_server.workspace / "people"
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", folder.name)  # a fresh key replaced it
        outside = [p for p in app_server.workspace.parent.iterdir() if "escape" in p.name]
        assert outside == [] and not (app_server.workspace / "etc").exists()
    finally:
        context.close()


@pytest.fixture
def one_place_server(tmp_path):
    """A server of its own that trains one run at a time, started as a teacher would:
    `python -m builder serve --max-runs 1`."""
    workspace = tmp_path / "workspace"
    port = free_port()
    command = [
        sys.executable, "-m", "builder", "serve", "--max-runs", "1", "--port", str(port),
        "--address", "127.0.0.1", "--workspace", str(workspace),
    ]  # fmt: skip
    env = {**os.environ, "STREAMLIT_SERVER_HEADLESS": "true"}
    with open(tmp_path / "server.log", "w+b") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, process, log)
            yield url, workspace
        finally:
            stop_app(process)


def test_runs_wait_in_line_with_their_place_and_can_be_cancelled(browser, one_place_server):
    url, _ = one_place_server
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(2)]
    try:
        first, second = (open_page(c, url) for c in contexts)
        for page in (first, second):
            open_preset(page, "mlp_moons")
            open_area(page, "Train")
            set_number(page, "Epochs", 500)
        click(first, "nb_train")
        wait_for_status(first, "Training", 120)
        # A click's rerun may not have begun when the page is next looked at: wait for what it
        # shows, not for the page to be idle.
        click(second, "nb_train")
        wait_for_status(second, "Waiting: 1st in line", 60)
        click(second, "nb_stop")  # it leaves the line
        wait_for_status(second, "Cancelled before it started", 30)
        click(first, "nb_stop")
        wait_for_status(first, "Stopped", 30)
    finally:
        for context in contexts:
            context.close()
