"""Drawing a digit on the pad in a real browser: the model's probabilities and a heat map."""

from __future__ import annotations

from tests.e2e.canvas_helpers import open_preset
from tests.e2e.conftest import wait_idle
from tests.e2e.dashboard_helpers import open_area


def test_a_drawn_digit_gets_a_prediction_and_a_heat_map(page, shot):
    open_preset(page, "lenet_digits")
    open_area(page, "Train")
    page.locator("[data-testid=stExpander]").filter(has_text="Why did it say that?").locator(
        "summary"
    ).click()
    wait_idle(page)
    page.locator(".st-key-nb_ex_source").get_by_text("Draw one").click()
    wait_idle(page)
    pad = page.locator("canvas.nb-draw-pad")
    pad.wait_for()
    box = pad.bounding_box()
    # a "7": the top bar, then the slanted stroke down
    strokes = [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]]
    for stroke in strokes:
        x0, y0 = stroke[0]
        page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
        page.mouse.up()
    wait_idle(page)
    page.locator(".st-key-nb_ex_probs .js-plotly-plot").first.wait_for()
    page.locator(".st-key-nb_ex_attribution img").first.wait_for()
    shot("drawn-digit-explained")
