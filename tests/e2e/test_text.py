"""A language model in a real browser: it trains from its preset, shows its perplexity, and
the lines it wrote, stepped back to the untrained model with the epoch slider."""

from __future__ import annotations

from tests.e2e.conftest import wait_idle
from tests.e2e.dashboard_helpers import TRAIN_TIMEOUT_S, start_training, wait_for_status
from tests.waiting import wait_until


def _lines(page) -> list[str]:
    box = page.locator(".st-key-nb_text_samples")
    return [c.inner_text() for c in box.locator("code").all()] if box.count() else []


def test_a_language_model_shows_the_lines_it_writes_by_epoch(page, shot):
    start_training(page, "lstm_text", 1, batch_size=256)
    wait_for_status(page, "Finished")
    wait_idle(page)
    metrics = page.locator(".st-key-nb_live_metrics").inner_text()
    assert "Validation perplexity" in metrics
    box = page.locator(".st-key-nb_text_samples")
    wait_until(lambda: "after epoch 1" in box.inner_text(), TRAIN_TIMEOUT_S)
    trained = _lines(page)
    assert len(trained) == 3 and all(line.startswith("The ") for line in trained)
    shot("lines-after-epoch-1")
    slider = page.get_by_role("slider")
    slider.focus()
    slider.press("Home")  # back to the untrained model
    wait_until(lambda: "the untrained model" in box.inner_text(), TRAIN_TIMEOUT_S)
    untrained = _lines(page)
    assert len(untrained) == 3 and untrained != trained
    shot("lines-untrained")
