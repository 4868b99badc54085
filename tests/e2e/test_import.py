"""Importing an ONNX model in the real page: it opens on the canvas with its weights kept."""

from __future__ import annotations

from tests.builder.model_files import made, onnx_bytes
from tests.e2e.canvas_helpers import upload, wait_nodes
from tests.e2e.conftest import wait_idle
from tests.e2e.dashboard_helpers import click, open_area, set_number, wait_for_status


def _import(page, name: str, data: bytes) -> None:
    upload(page, "nb_import_popover", name, data, "application/octet-stream")


def test_an_onnx_model_opens_on_the_canvas_and_its_weights_are_looked_inside(page, shot):
    module, shape = made("residual")  # [1, 8, 8] in, 10 classes out: it fits the digits
    _import(page, "residual.onnx", onnx_bytes(module, shape))
    expected = ["input", "stem_0", "block_conv", "block", "pool", "flatten", "head"]
    assert sorted(wait_nodes(page, expected)) == sorted(expected)
    shot("imported")
    open_area(page, "Train")
    page.get_by_text("Start from the imported weights").wait_for()
    page.locator("[data-testid=stExpander]").filter(has_text="Feature maps").locator(
        "summary"
    ).click()
    wait_idle(page)
    page.get_by_text(
        "weights imported from residual.onnx"
    ).first.wait_for()  # maps and explanations
    page.locator(".st-key-nb_fm_output img, .st-key-nb_fm_output canvas").first.wait_for()
    set_number(page, "Epochs", 1)
    click(page, "nb_train")
    wait_for_status(page, "Finished")
    assert page.locator("[data-testid=stException]").count() == 0 and not page.errors
    shot("trained-from-imported")


def test_a_model_that_cannot_be_mapped_is_refused_and_the_design_stays(page, shot):
    _import(page, "broken.onnx", b"not an onnx file at all")
    message = page.get_by_text("Could not import the model").first
    message.wait_for()
    assert "not a readable ONNX file" in message.inner_text()
    assert page.locator("[data-testid=stException]").count() == 0
    shot("refused")
