"""The Train area's "Why did it say that?" view, driven through Streamlit's AppTest."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.components.people import as_person, folder

TIMEOUT = 120


def _train_script():
    import streamlit as st

    from builder.design.presets import load_preset
    from components import design_state as ds
    from components.train_area import render_train_area

    if "seeded" not in st.session_state:
        st.session_state.seeded = True
        ds.replace_design(load_preset(st.session_state.get("preset", "lenet_digits")))
    render_train_area()


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return folder(tmp_path)


def _app(**state) -> AppTest:
    at = as_person(AppTest.from_function(_train_script, default_timeout=TIMEOUT))
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def _figure_titles(at) -> list[str]:
    return [
        json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")
    ]


@pytest.mark.slow
def test_an_image_classifier_shows_probabilities_and_attributions(workspace):
    at = _app(preset="lenet_digits")
    assert not at.exception
    assert "Predicted probabilities" in _figure_titles(at)
    sample = next(s for s in at.selectbox if s.key == "nb_ex_sample")
    assert sample.options[0].startswith(("✗", "✓"))
    assert any("Saliency" in m.value for m in at.markdown)
    for method in ("integrated_gradients", "grad_cam"):
        next(r for r in at.radio if r.key == "nb_ex_method").set_value(method).run()
        assert not at.exception
    assert any("Grad-CAM for" in m.value.replace("\\", "") for m in at.markdown)
    next(r for r in at.radio if r.key == "nb_ex_method").set_value("integrated_gradients").run()
    assert any("Convergence delta" in c.value for c in at.caption)


@pytest.mark.slow
def test_a_language_model_shows_the_next_token_distribution_and_attention(workspace):
    at = _app(preset="transformer_text")
    assert not at.exception
    next(t for t in at.text_area if t.key == "nb_ex_text").input("def main():\n    ret").run()
    assert not at.exception
    titles = _figure_titles(at)
    assert "Next-token distribution (top 15)" in titles
    assert "block1, head 0" in titles
    assert at.get("html")  # the typed tokens, coloured by attribution


def test_a_gan_says_why_nothing_is_explained(workspace):
    at = _app(preset="gan_moons")
    assert not at.exception
    assert any("nothing to explain" in c.value for c in at.caption)


@pytest.mark.slow
def test_a_confusion_matrix_cell_keeps_the_samples_of_that_cell(workspace):
    at = _app(preset="lenet_digits")
    assert not at.exception
    cell = next(s for s in at.selectbox if s.key == "nb_ex_cell")
    assert cell.options[0] == "Every cell"
    every = len(next(s for s in at.selectbox if s.key == "nb_ex_sample").options)
    # the first cell offered is a mistake (untrained weights make many), the largest one first
    label = cell.options[1]
    true, guess = label.removeprefix("label ").split(" (")[0].split(" → predicted ")
    assert true != guess
    cell.set_value((int(true), int(guess))).run()  # digits' class names are their indices
    assert not at.exception
    samples = next(s for s in at.selectbox if s.key == "nb_ex_sample").options
    count = int(label.rsplit("(", 1)[1].rstrip(")"))
    assert len(samples) == count < every
    assert all(s.startswith("✗") and s.endswith(f": {true} → {guess}") for s in samples)
