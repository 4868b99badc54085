"""Actions on the canvas through the test hooks (data-palette-item, data-canvas, data-node-id)."""

from __future__ import annotations

import json

from tests.e2e.conftest import wait_idle
from tests.waiting import WaitTimeout, wait_until


def node(page, node_id: str):
    return page.locator(f"[data-node-id={json.dumps(node_id)}]")


def node_ids(page) -> list[str]:
    return page.eval_on_selector_all("[data-node-id]", "els => els.map(e => e.dataset.nodeId)")


def eventually(check, timeout_s: float = 15.0, page=None) -> bool:
    """True as soon as `check()` is; False after the timeout. The canvas renders after the
    script run ends (asynchronously), so read the DOM through this, not once."""
    try:
        wait_until(check, timeout_s)
    except WaitTimeout:
        return False
    return True


def wait_nodes(page, expected, timeout_s: float = 15.0) -> list[str]:
    """Wait until the canvas shows exactly the nodes `expected` (in any order); the nodes it
    shows then (the caller's assertion tells what differs after the timeout)."""
    shown: list[str] = []

    def as_expected() -> bool:
        shown[:] = node_ids(page)
        return sorted(shown) == sorted(expected)

    eventually(as_expected, timeout_s)
    return shown


def shape_of(page, node_id: str) -> str:
    return node(page, node_id).locator("[data-shape]").get_attribute("data-shape")


def error_of(page, node_id: str) -> str | None:
    return node(page, node_id).get_attribute("data-error")


def drop(page, kind: str, x: float, y: float) -> None:
    """Drag a layer from the palette and drop it at (x, y) inside the canvas."""
    canvas = page.locator("[data-canvas]")
    page.locator(f"[data-palette-item={kind}]").drag_to(canvas, target_position={"x": x, "y": y})
    wait_idle(page)


def _center(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def connect(page, source: str, target: str) -> None:
    """Drag from `source`'s output handle to `target`'s input handle."""
    sx, sy = _center(node(page, source).locator(".react-flow__handle.source"))
    tx, ty = _center(node(page, target).locator(".react-flow__handle.target"))
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move((sx + tx) / 2, (sy + ty) / 2, steps=4)
    page.mouse.move(tx, ty, steps=4)
    page.mouse.up()
    wait_idle(page)


def select(page, node_id: str) -> None:
    node(page, node_id).locator(".nb-node-head").click()
    wait_idle(page)


def set_field(page, label: str, value: str) -> None:
    """Type into the inspector field named `label` and commit it with Enter."""
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    wait_idle(page)


def open_popover(page, key: str):
    """Open the toolbar popover `key` (nb_presets_popover, nb_open_popover, ...); its body."""
    button = page.locator(f".st-key-{key} [data-testid=stPopoverButton]")
    if button.get_attribute("aria-expanded") != "true":
        button.click()
        wait_idle(page)  # a popover that tracks its state reruns the page as it opens
    body = page.locator("[data-testid=stPopoverBody]")
    body.wait_for()
    return body


def wait_popover_closed(page, timeout_s: float = 30) -> None:
    closed = lambda: not page.locator("[data-testid=stPopoverBody]").count()  # noqa: E731
    wait_until(closed, timeout_s, "the popover to close", every=0.1)


def open_preset(page, name: str) -> None:
    open_popover(page, "nb_presets_popover")
    page.locator(f".st-key-nb_preset_{name} button").click()
    wait_idle(page)
    # Opening a preset closes the popover: wait, so the next call starts from a settled page.
    wait_popover_closed(page)


def upload(page, popover: str, name: str, data: bytes, mime: str = "application/json") -> None:
    """Give a file to the uploader in the toolbar popover `popover` (Open or Import)."""
    body = open_popover(page, popover)
    body.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}]
    )
    wait_idle(page)
