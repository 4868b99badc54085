"""The page's import, upload and preview paths, through Streamlit's AppTest (no browser): a small
upload shaped huge by the design is refused before its arrays are made, and every failure is a
message that names the file, never a traceback, a server path or the person's key."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from components.data_cache import BytesCache, value_bytes
from components.failures import failure_message, scrubbed
from components.images import preview_mosaic
from tests.builder.helpers import chain_design
from tests.components.people import KEY, as_person, folder
from tests.components.train_app import train_page as _train_page
from tests.hostile import shape_bombs

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE_PEAK = 200 * 2**20  # what the page may allocate while refusing a bomb (the bombs: GBs)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_WORKSPACE", str(tmp_path))
    return tmp_path


def train_page(layers, dataset="digits", task="classification") -> AppTest:
    at = as_person(AppTest.from_function(_train_page, default_timeout=120))
    training = {"task": task, "dataset": dataset, "batch_size": 1, "epochs": 1}
    at.session_state["design"] = chain_design(*layers, name="shaped", training=training)
    return at.run()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    """Pick "Upload a file" as the data set, and upload `data` as `name`."""
    picker = next(s for s in at.selectbox if s.label == "Data set")
    picker.set_value("__upload__").run()
    uploader = next(u for u in at.file_uploader if u.label == "Upload a data file")
    uploader.upload(name, data).run()
    return at


def messages(at: AppTest) -> str:
    """Every message the page shows, as one text (markdown escapes taken out)."""
    shown = [e.value for e in [*at.error, *at.warning, *at.caption]]
    return " | ".join(shown).replace("\\", "")


def assert_told_safely(at: AppTest, root: Path, file_name: str) -> str:
    assert not at.exception, [e.value for e in at.exception]
    text = messages(at)
    assert file_name in text, text
    assert str(root) not in text and str(Path.cwd()) not in text, text
    assert KEY not in text, text
    return text


@pytest.mark.parametrize("case", list(shape_bombs.BOMBS))
def test_a_shape_bomb_uploaded_in_the_page_is_refused_in_bounded_memory(case, workspace):
    name, make, _, task, shape, layers, expected = shape_bombs.BOMBS[case]
    at = train_page(layers(shape), task=task)
    assert not at.exception
    data = make()
    tracemalloc.start()
    try:
        upload(at, name, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    text = assert_told_safely(at, workspace, name)
    for part in expected:
        assert part in text, (part, text)
    assert "Nothing was changed" in text
    assert at.session_state["nb_design"].training["dataset"] == "digits"
    assert not list(folder(workspace).glob("data/*"))  # nothing stored
    assert peak < PAGE_PEAK, f"{peak / 2**20:.0f} MiB"


def test_a_language_model_text_is_held_to_the_limit_in_the_page(workspace, monkeypatch):
    monkeypatch.setenv("NETBUILDER_MAX_DATA_MB", "0.1")
    at = train_page(shape_bombs.lm_layers([100]), "python_docs", "language_model")
    text = assert_told_safely(upload(at, "story.txt", shape_bombs.story()), workspace, "story.txt")
    assert "samples shaped by the Input 'in' [100]" in text


def test_csv_faults_are_messages_naming_the_file_and_line(workspace):
    layers = [("in", "Input", {"shape": [1]}), ("out", "Dense", {"out_features": 2})]
    at = train_page(layers)
    big = b"x1,label\n1,a\n2," + b"w" * 200_000 + b"\n3,b\n"
    text = assert_told_safely(upload(at, "big.csv", big), workspace, "big.csv")
    assert "big.csv, line 3: a cell holds more than 131,072 characters" in text
    # Lines ended by a carriage return alone (old Mac files) are lines like any other.
    rows = "\r".join(["x1,label"] + [f"{i}.5,{'ab'[i % 2]}" for i in range(20)]) + "\r"
    upload(at, "mac.csv", rows.encode())
    assert not at.exception
    assert at.session_state["nb_design"].training["dataset"]["path"].startswith("mac-")
    assert any("16 train / 4 validation" in c.value for c in at.caption)


def test_a_data_file_that_is_gone_is_named_without_the_servers_path(workspace):
    layers = [("in", "Input", {"shape": [2]}), ("out", "Dense", {"out_features": 2})]
    at = train_page(layers, {"type": "csv", "path": "gone.csv"})
    text = assert_told_safely(at, workspace, "gone.csv")
    assert "no such file" in text


def test_a_large_image_data_set_previews_small(workspace):
    """20 images the Input makes 1024x1024 (the file is large enough to allow their 80 MiB):
    the preview shows them shrunk, as one image a few hundred pixels wide."""
    zipped = shape_bombs.one_pixel_zip(20, junk=1_000_000)
    at = train_page(shape_bombs.image_layers([1, 1024, 1024]))
    upload(at, "large.zip", zipped)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["nb_design"].training["dataset"]["type"] == "images"
    assert any("16 train / 4 validation" in c.value for c in at.caption)
    mosaic = preview_mosaic(np.zeros((16, 1, 2048, 2048), np.float32), (0.0, 1.0), 240)
    assert max(mosaic.shape[:2]) <= 240


def test_a_failed_import_is_a_message_without_paths_or_key(workspace):
    at = as_person(AppTest.from_file(APP, default_timeout=120)).run()
    assert not at.exception
    (folder(workspace) / "imports").write_text("a file where the imports folder goes")
    uploader = next(u for u in at.file_uploader if u.label == "Import a model (ONNX)")
    uploader.upload("small.onnx", onnx_of(torch.nn.Linear(3, 2), (3,))).run()
    text = assert_told_safely(at, workspace, "small.onnx")
    assert "Could not import the model" in text
    assert at.session_state["nb_design"].models["model"].nodes == []  # the design kept


def onnx_of(module, shape) -> bytes:
    buffer = io.BytesIO()
    torch.onnx.export(
        module.eval(), (torch.randn(2, *shape),), buffer, dynamo=False, opset_version=17,
        input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )  # fmt: skip
    return buffer.getvalue()


def test_the_data_cache_counts_bytes_and_keeps_the_most_recent():
    cache = BytesCache(limit=10 * 2**20)
    made = []

    def arrays(n_mib):
        made.append(n_mib)
        return (np.zeros(n_mib * 2**20, np.uint8), None)

    for key in ("a", "b", "c"):
        cache.get_or_make(key, lambda: arrays(4))
    assert cache.held <= 10 * 2**20 and len(cache) == 2  # "a" left first
    cache.get_or_make("b", lambda: arrays(4))
    assert made == [4, 4, 4]  # "b" was kept
    cache.get_or_make("a", lambda: arrays(4))
    assert made == [4, 4, 4, 4] and cache.held <= 10 * 2**20
    huge = cache.get_or_make("huge", lambda: arrays(11))
    assert len(huge[0]) == 11 * 2**20 and cache.held <= 10 * 2**20  # used, never kept
    assert value_bytes((None, "a message")) < 2048


def test_messages_keep_file_names_and_drop_server_paths_and_the_key():
    text = f"cannot open '/srv/ws/people/{KEY}/data/x-1a2b.csv' (see people/{KEY}/runs)"
    assert scrubbed(text, KEY) == "cannot open 'x-1a2b.csv' (see people/…/runs)"
    kept = "rows x columns, 1/2 of https://example.com/a / b"
    assert scrubbed(kept, KEY) == kept
    fault = failure_message(KeyError("/home/app/secrets.toml"), "m.onnx", "import")
    assert fault == "m.onnx: could not import it (KeyError: 'secrets.toml')"
