"""A person's text (class names, file names, ids) shows as written in the real page: no markup
from it in Plotly charts, and no link or formatting from it in markdown captions."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.e2e.conftest import (
    ROOT,
    START_TIMEOUT_S,
    VIEWPORT,
    free_port,
    stop_app,
    wait_healthy,
    wait_idle,
)

NAMES = [
    '<a href="https://evil.example">click</a>',
    "<b>bold</b><br>two",
    "see https://evil.example/x and www.evil.example",
    "mail me@evil.example",
    "[link](https://evil.example) **bold** `code`",
    "R&D &lt;3",
]

PAGE = """
import json, sys
import numpy as np
import streamlit as st
from components import charts
from components.ui_text import md_escape

names = json.loads(sys.argv[1])
for i, name in enumerate(names):
    with st.container(key=f"caption{i}"):
        st.caption(md_escape(name))
with st.container(key="confusion"):
    st.plotly_chart(charts.confusion_figure(np.eye(len(names)), names, 1))
with st.container(key="probabilities"):
    st.plotly_chart(charts.probability_figure(np.full(len(names), 1 / len(names)), names))
"""


@pytest.fixture
def text_page(tmp_path, browser):
    script = tmp_path / "page.py"
    script.write_text(PAGE)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(tmp_path / "streamlit.log", "w+b")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--", json.dumps(NAMES),
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(".st-key-probabilities .xtick", timeout=START_TIMEOUT_S * 1000)
        wait_idle(page)
        yield page
        context.close()
    finally:
        stop_app(process)
        log.close()


def _shown(text: str) -> str:
    return text.replace("\u2060", "")  # the invisible joiner that keeps addresses plain


def test_text_shows_as_written_in_captions_and_charts(text_page):
    for i, name in enumerate(NAMES):
        caption = text_page.locator(f".st-key-caption{i}")
        assert caption.locator("a, b, strong, code, em").count() == 0, name
        assert _shown(caption.inner_text().strip()) == name
    for chart in ("confusion", "probabilities"):
        svg = text_page.locator(f".st-key-{chart} .main-svg").first
        assert text_page.locator(f".st-key-{chart} .main-svg a").count() == 0
        ticks = svg.locator(".xtick text").all_text_contents()
        assert ticks == NAMES, ticks
    rows = text_page.locator(".st-key-confusion .ytick text").all_text_contents()
    assert rows and set(rows) <= set(NAMES)  # Plotly shows every other row when they crowd
