"""With sign-in off, a browser whose key is shaped like a signed-in user's folder gets a fresh
key of its own, never that user's designs."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from builder.design.presets import load_preset
from builder.people.designs import DesignLibrary
from builder.people.keys import person_dir, user_key
from tests.e2e.canvas_helpers import node_ids
from tests.e2e.conftest import START_TIMEOUT_S, VIEWPORT, wait_idle


def test_a_signed_in_users_folder_name_as_a_browser_key_is_replaced(browser, app_server):
    ada = user_key("https://id.example", "ada")
    lenet = DesignLibrary(person_dir(app_server.workspace, ada)).create(load_preset("lenet_digits"))
    context = browser.new_context(viewport=VIEWPORT)
    host = urlparse(app_server.url).hostname
    context.add_cookies([{"name": "netbuilder_key", "value": ada, "domain": host, "path": "/"}])
    try:
        page = context.new_page()
        page.add_init_script(f"window.localStorage.setItem('netbuilder.key', '{ada}')")
        page.goto(f"{app_server.url}/?design={lenet}")
        page.wait_for_selector("[data-palette-item=Input]", timeout=START_TIMEOUT_S * 1000)
        wait_idle(page)
        folder = app_server.person_folder(page)
        assert folder.name != ada and re.fullmatch(r"[A-Za-z0-9_-]{32}", folder.name)
        assert page.get_by_text(f"There is no design {lenet} in your designs").is_visible()
        assert "conv1" not in node_ids(page)
    finally:
        context.close()
