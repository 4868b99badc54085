"""Actions on the Train, Runs and Export areas through their stable element keys (st-key-*)."""

from __future__ import annotations

import time

from tests.e2e.conftest import wait_idle

TRAIN_TIMEOUT_S = 180


def open_area(page, name: str) -> None:
    """Show the page's area `name` (Design, Train, Runs or Export)."""
    page.locator(".st-key-nb_area").get_by_role("radio", name=name, exact=True).click()
    wait_idle(page)


def set_number(page, label: str, value) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    wait_idle(page)


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`."""
    box = page.locator("[data-testid=stSelectbox]").filter(has_text=label).first
    box.locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def click(page, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()


def progress(page) -> str:
    box = page.locator(".st-key-nb_live_progress")
    return box.inner_text() if box.count() else ""


def chart_points(page, key: str, run: int | None = None) -> int:
    """How many points the Plotly chart in container `key` draws (all traces); 0 before it
    is drawn, or, given `run`, while it still shows another run's points."""
    return page.evaluate(
        """([key, run]) => Math.max(0, ...Array.from(
            document.querySelectorAll(`.st-key-${key} .js-plotly-plot`),
            g => run !== null && (((g.layout || {}).meta || {}).run !== run) ? 0
                : (g.data || []).reduce((n, t) => n + (t.x || []).length, 0)))""",
        [key, run],
    )


def wait_until(check, timeout_s: float = TRAIN_TIMEOUT_S, every_s: float = 0.2):
    """Poll `check()` until it returns something truthy; return it (fail on timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {check.__name__}")
        time.sleep(every_s)


def wait_for_status(page, word: str, timeout_s: float = TRAIN_TIMEOUT_S) -> str:
    def status():
        text = progress(page)
        return text if word in text else None

    status.__name__ = f"status {word!r}"
    return wait_until(status, timeout_s)


def image_src(page, key: str) -> str | None:
    img = page.locator(f".st-key-{key} img")
    return img.first.get_attribute("src") if img.count() else None
