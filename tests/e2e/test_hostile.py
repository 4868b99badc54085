"""Hostile design files through the real page: a clear message, no traceback, nothing lost."""

from __future__ import annotations

import json

from builder.design.presets import load_preset
from tests.e2e.canvas_helpers import node_ids, open_preset, upload, wait_nodes
from tests.e2e.conftest import wait_idle
from tests.e2e.dashboard_helpers import open_area
from tests.hostile import corpus


def _upload(page, name: str, text: str) -> None:
    upload(page, "nb_open_popover", name, text.encode())


def _no_traceback(page) -> None:
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert page.locator("[data-testid=stException]").count() == 0
    assert not page.errors


def test_hostile_design_files_are_refused_and_the_open_design_stays(page, shot):
    open_preset(page, "mlp_moons")
    before = [n.id for n in load_preset("mlp_moons").models["model"].nodes]
    assert wait_nodes(page, before) == before
    files = {
        "surrogate.json": ('{"version": 1, "name": "a\\udc80", "models": {}}', "U+DC80"),
        "digits.json": (
            json.dumps(corpus.mlp()).replace("[2]", "[1" + "0" * 5000 + "]"),
            "thousands of digits",
        ),
        "outputs.json": (json.dumps(corpus.many_outputs(9999)), "10,000 nodes"),
    }
    for name, (text, expected) in files.items():
        _upload(page, name, text)
        # Wait for this file's own notice: the previous file's may still be on the page.
        message = page.get_by_text("Could not open the file").filter(has_text=name).first
        message.wait_for()
        assert expected in message.inner_text(), message.inner_text()
        assert node_ids(page) == before
        _no_traceback(page)
    shot("refused")


def test_a_design_naming_a_server_file_reads_nothing_and_says_to_upload(page, shot):
    design = corpus.mlp({"dataset": {"type": "csv", "path": "/etc/passwd"}})
    _upload(page, "server-file.json", json.dumps(design))
    page.wait_for_selector("[data-node-id=out]")
    open_area(page, "Train")
    message = page.get_by_text("is not one of your uploads").first
    message.wait_for()
    assert "passwd" in message.inner_text()
    body = page.locator("body").inner_text()
    assert "root:" not in body  # nothing of the file, not even its header row, is shown
    _no_traceback(page)
    shot("server-file")


def test_a_memory_bomb_design_is_pinned_and_the_train_area_stays_light(page, shot):
    _upload(page, "bomb.json", json.dumps(corpus.memory_bomb()))
    page.wait_for_selector("[data-node-id=wide]")
    wait_idle(page)
    error = page.locator("[data-node-id=wide]").get_attribute("data-error") or ""
    assert "MiB" in error, error
    open_area(page, "Train")
    page.get_by_text("the design has 1 problem").first.wait_for()
    _no_traceback(page)
    shot("memory-bomb")
