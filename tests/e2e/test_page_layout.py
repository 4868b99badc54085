"""The page as it opens: the canvas in view at common window sizes, and nothing fetched from
outside the app's own server (the app must work offline and send nothing out)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.canvas_helpers import open_popover, open_preset, wait_popover_closed
from tests.e2e.conftest import ARTIFACTS, START_TIMEOUT_S, wait_idle
from tests.e2e.dashboard_helpers import open_area


def _open(browser, app_server, width: int, height: int, outside: list[str]):
    """A fresh session at this window size; every request to another host is refused and kept."""
    app_server.reset_workspace()
    context = browser.new_context(viewport={"width": width, "height": height})
    ours = urlsplit(app_server.url).netloc

    def route(r):
        if urlsplit(r.request.url).netloc == ours:
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on(
        "websocket", lambda ws: None if urlsplit(ws.url).netloc == ours else outside.append(ws.url)
    )
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(app_server.url)
    page.wait_for_selector("[data-palette-item=Input]", timeout=START_TIMEOUT_S * 1000)
    wait_idle(page)
    page.wait_for_timeout(500)  # the canvas sizes itself to the window once the page settles
    return context, page


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (1280, 720), (2560, 1440)])
def test_the_canvas_is_in_view_on_load(browser, app_server, width, height):
    outside: list[str] = []
    context, page = _open(browser, app_server, width, height, outside)
    try:
        box = page.locator("[data-canvas]").bounding_box()
        folder = ARTIFACTS / "test_the_canvas_is_in_view_on_load"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"first-load-{width}x{height}.png"))
        assert box["y"] <= 300, box
        assert box["height"] >= 600, box
        if height >= 900:  # it fills the window below the toolbar, not more
            assert box["y"] + box["height"] <= height, box
        assert box["width"] >= 0.5 * width, box
        toolbar = page.locator(".st-key-nb_toolbar").bounding_box()
        assert toolbar["height"] <= 60, toolbar  # one slim row
        open_preset(page, "lenet_digits")  # a design without problems: still one row
        toolbar = page.locator(".st-key-nb_toolbar").bounding_box()
        assert toolbar["height"] <= 60, toolbar
        assert page.locator("[data-canvas]").bounding_box()["y"] == box["y"]
        assert not outside and not page.errors
    finally:
        context.close()


def test_the_page_requests_nothing_from_outside(browser, app_server):
    outside: list[str] = []
    context, page = _open(browser, app_server, 1440, 900, outside)
    try:
        icon = page.evaluate("() => document.querySelector('link[rel~=icon]')?.href || ''")
        assert icon.startswith(app_server.url), icon  # the bundled favicon
        for popover in ["nb_presets_popover", "nb_open_popover", "nb_import_popover"]:
            open_popover(page, popover)
            page.keyboard.press("Escape")
            wait_popover_closed(page)
        open_preset(page, "lenet_digits")
        open_popover(page, "nb_problems_popover")
        page.keyboard.press("Escape")
        for area in ["Train", "Runs", "Export", "Design"]:
            open_area(page, area)
            page.wait_for_timeout(500)
        page.reload()
        page.wait_for_selector("[data-node-id]", timeout=START_TIMEOUT_S * 1000)
        wait_idle(page)
        page.wait_for_timeout(500)
        assert outside == []
        assert not page.errors
    finally:
        context.close()
