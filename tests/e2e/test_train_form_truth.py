"""What the Train form shows is what trains, in a real browser: a learning rate carried over an
optimizer switch trains as shown, and a rate over its bound is marked under its field (not only
in a tooltip) with Train disabled and the reason beside it."""

from __future__ import annotations

from builder.runs.store import RunStore
from tests.e2e.canvas_helpers import open_preset
from tests.e2e.dashboard_helpers import (
    choose,
    click,
    open_area,
    set_number,
    wait_for_status,
)


def _rate(page) -> str:
    return page.get_by_label("Learning rate", exact=True).input_value()


def test_the_rate_shown_is_the_rate_trained_and_an_out_of_bound_one_holds_train(
    page, shot, app_server
):
    open_preset(page, "mlp_moons")
    open_area(page, "Train")
    set_number(page, "Learning rate", "0.05")
    choose(page, "Optimizer", "rmsprop")
    assert _rate(page) == "0.05"  # carried over, and shown
    set_number(page, "Epochs", 1)
    click(page, "nb_train")
    wait_for_status(page, "Finished")
    store = RunStore(app_server.person_folder(page))
    newest = store.get_run(store.list_runs(limit=1)[0]["id"])
    assert newest["design"]["training"]["optimizer"] == {"type": "rmsprop", "lr": 0.05}
    shot("carried")

    set_number(page, "Learning rate", "100")
    assert _rate(page) == "100"  # what was typed stays in the field...
    page.get_by_text("lr must be at most 10, got 100").first.wait_for()  # ...marked under it
    assert page.locator(".st-key-nb_train button").first.is_disabled()
    page.get_by_text("Train waits for Learning rate").first.wait_for()
    shot("over-the-bound")
    set_number(page, "Learning rate", "0.5")
    assert page.locator(".st-key-nb_train button").first.is_enabled()
    assert not page.errors
