"""The Train area for text: the data picker's tokens and preview, and a language model's lines
shown per epoch after its run (through Streamlit's AppTest, no browser)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from builder import load_design
from builder.runs.store import RunStore
from builder.runs.thread import ThreadRun
from components import design_state as ds
from tests.builder.helpers import chain_design
from tests.components.people import as_person, folder
from tests.components.train_app import train_page as _script

VOCAB = 103  # python_docs' characters

SMALL_LM = chain_design(
    ("tokens", "Input", {"shape": [16]}),
    ("embed", "Embedding", {"num_embeddings": VOCAB, "embedding_dim": 16}),
    ("next", "Dense", {"out_features": VOCAB}),
    name="small-lm",
    training={
        "task": "language_model",
        "dataset": "python_docs",
        "batch_size": 256,
        "epochs": 2,
        "optimizer": {"type": "adam", "lr": 0.01},
    },  # fmt: skip
)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """The test person's folder (their runs) under a fresh workspace root."""
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return folder(tmp_path)


def _app() -> AppTest:
    at = as_person(AppTest.from_function(_script, default_timeout=90))
    at.session_state["design"] = SMALL_LM
    return at.run()


def test_text_data_shows_its_tokens_and_vocabulary(workspace):
    at = _app()
    assert not at.exception and not at.error, [e.value for e in at.error]
    tokens = next(s for s in at.selectbox if s.label == "Tokens")
    assert tokens.value == "chars"
    assert any("vocabulary of 103 tokens" in c.value for c in at.caption)
    assert any(c.value.startswith("The ") or len(c.value) == 16 for c in at.code)
    tokens.set_value("words").run()
    assert at.session_state["nb_design"].training["text"] == {"tokens": "words"}
    text = " | ".join(e.value for e in at.error).replace("\\", "")
    assert "set num_embeddings to" in text  # words need a larger vocabulary than 103


def test_a_language_model_run_shows_its_lines_per_epoch(workspace):
    design = load_design(SMALL_LM)
    at = _app()
    store = RunStore(workspace)
    run_id = store.create_run(design, design_id=at.session_state[ds.DESIGN_ID])
    run = ThreadRun(
        design, out_dir=store.run_dir(run_id), step_every=50, sinks=[store.sink(run_id)]
    )
    run.join(180)
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Validation perplexity"]) > 1
    slider = next(s for s in at.slider if s.label == "Samples after epoch")
    assert slider.value == 2 and slider.min == 0
    newest = [c.value for c in at.code if c.value.startswith("The ") and len(c.value) > 100]
    assert len(newest) == 3
    assert any("after epoch 2" in c.value for c in at.caption)
    slider.set_value(0).run()
    untrained = [c.value for c in at.code if c.value.startswith("The ") and len(c.value) > 100]
    assert len(untrained) == 3 and untrained != newest
    assert any("the untrained model" in c.value for c in at.caption)


def test_an_embedding_left_empty_takes_the_datas_vocabulary_as_one_undoable_edit(workspace):
    unset = load_design(SMALL_LM)
    graph = unset.models["model"]
    nodes = [
        replace(n, params={"embedding_dim": 16}) if n.type == "Embedding" else n
        for n in graph.nodes
    ]
    design = unset.with_model("model", replace(graph, nodes=nodes))
    at = as_person(AppTest.from_function(_script, default_timeout=90))
    at.session_state["design"] = design.to_json()
    at.run()
    assert not at.exception
    embed = at.session_state["nb_design"].models["model"].node("embed")
    assert embed.params["num_embeddings"] == VOCAB  # python_docs' characters
    assert any("vocabulary (103 tokens)" in i.value.replace("\\", "") for i in at.info)
    saved = ds.DesignLibrary(workspace).load(at.session_state[ds.DESIGN_ID])
    assert saved.models["model"].node("embed").params["num_embeddings"] == VOCAB
