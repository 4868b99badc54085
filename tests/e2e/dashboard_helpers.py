"""Actions on the Train, Runs and Export areas through their stable element keys (st-key-*)."""

from __future__ import annotations

from tests.e2e.canvas_helpers import open_preset
from tests.e2e.conftest import wait_idle
from tests.waiting import wait_until

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


def start_training(page, preset: str, epochs: int, batch_size: int | None = None) -> None:
    """Open `preset`, set its epochs (and batch size) in the Train area, press Train."""
    open_preset(page, preset)
    open_area(page, "Train")
    set_number(page, "Epochs", epochs)
    if batch_size:  # small batches: more steps, so a quiet machine still takes seconds
        set_number(page, "Batch size", batch_size)
    click(page, "nb_train")


def wait_for_status(page, word: str, timeout_s: float = TRAIN_TIMEOUT_S) -> str:
    def status():
        text = progress(page)
        return text if word in text else None

    return wait_until(status, timeout_s, lambda: f"status {word!r}; it shows {progress(page)!r}")


# Counts the page's finished script runs (a whole page or a fragment, e.g. the live view's timed
# redraw): the app element's script state turns back to notRunning at the end of each.
_COUNT_RUNS = """() => {
    const app = document.querySelector("[data-testid=stApp]");
    window.__nbRuns = 0;
    if (!window.__nbRunObserver) {
        window.__nbRunObserver = new MutationObserver(() => {
            if (app.dataset.testScriptState === "notRunning") window.__nbRuns += 1;
        });
        window.__nbRunObserver.observe(app, {attributeFilter: ["data-test-script-state"]});
    }
}"""


def count_script_runs(page):
    """Start counting the page's script runs; returns a function that waits until `n` more
    have finished (the live view redraws on a timer, so a run's new points show by then)."""
    page.evaluate(_COUNT_RUNS)

    def wait_for(n: int, timeout_s: float = 60) -> None:
        done = lambda: page.evaluate("() => window.__nbRuns") >= n  # noqa: E731
        wait_until(done, timeout_s, f"{n} script runs of the page", every=0.1)

    return wait_for


def image_src(page, key: str) -> str | None:
    img = page.locator(f".st-key-{key} img")
    return img.first.get_attribute("src") if img.count() else None
