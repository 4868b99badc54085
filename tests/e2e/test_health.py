"""Health in a real browser: a deep sigmoid MLP that cannot learn gets its alert, with a fix
button, in the Train area's Health view, and a problem mark on the node the alert names."""

from __future__ import annotations

import json

import pytest

from tests.builder.helpers import sigmoid_mlp
from tests.e2e.canvas_helpers import eventually, node, upload, wait_nodes
from tests.e2e.conftest import wait_idle
from tests.e2e.dashboard_helpers import click, open_area, wait_for_status


@pytest.mark.slow
def test_a_failing_design_shows_health_marks_and_the_health_view(page, shot):
    design = sigmoid_mlp(8)
    design["training"]["epochs"] = 4
    upload(page, "nb_open_popover", "deep_sigmoid.json", json.dumps(design).encode())
    ids = [n["id"] for n in design["models"]["model"]["nodes"]]
    assert sorted(wait_nodes(page, ids)) == sorted(ids)

    open_area(page, "Train")
    click(page, "nb_train")
    wait_for_status(page, "Finished")
    wait_idle(page)
    page.locator("[data-testid=stExpander]").filter(has_text="Health").locator("summary").click()
    wait_idle(page)
    alerts = page.locator(".st-key-nb_health_alerts")
    alerts.get_by_text("vanishing_gradients at h1").wait_for()
    fix = page.locator("[class*=st-key-nb_health_fix_][class*=relu_everywhere] button")
    assert "Switch sigmoid and tanh to ReLU (8 layers)" in fix.inner_text()
    page.locator(".st-key-nb_health_grads .js-plotly-plot").wait_for()
    page.locator(".st-key-nb_health_updates .js-plotly-plot").wait_for()
    assert page.locator(".st-key-nb_health_strips .js-plotly-plot").count() == len(ids) - 1
    shot("health-view")

    # The fix applies from the Health view: every sigmoid becomes a ReLU; the marks stay those
    # of the run that raised them.
    fix.click()
    wait_idle(page)
    open_area(page, "Design")
    mark = node(page, "h1").locator("[data-health]")
    assert eventually(lambda: mark.count() == 1, page=page)
    assert mark.get_attribute("data-health") == "problem"
    assert "vanish" in mark.get_attribute("title")
    assert node(page, "h5").locator("[data-health]").get_attribute("data-health") == "fine"
    assert eventually(lambda: "relu" in node(page, "h1").inner_text(), page=page)
    shot("health-marks")
