"""Small files shaped huge by the design, through the library and the command line: each is
refused before its arrays are made, with a message naming the Input, its shape, the sample
count and the bytes against the limit, and the process stays small."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from builder.data import DataError, load_dataset
from builder.data.budget import ArraysTooLarge
from builder.data.csv_table import read_csv_table
from builder.data.readers import read_image_zip
from builder.data.uploads import read_upload
from tests.hostile import shape_bombs
from tests.hostile.corpus import design, zip_of

ROOT = Path(__file__).resolve().parents[2]
# What the command line may grow to while refusing a bomb: it takes about 250 MiB here (torch
# included); reading these bombs as the design asks took 860 MiB (NPZ) to 3.4 GiB (text CSV).
CLI_RSS_LIMIT = 640 * 2**20
REFUSAL_PEAK = 48 * 2**20  # what reading a refused file may allocate (traced by tracemalloc)


def traced_peak(work):
    """(what `work()` raised, the most bytes it held at once)."""
    tracemalloc.start()
    try:
        work()
    except DataError as exc:
        return exc, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    raise AssertionError("the file was read, not refused")


@pytest.mark.parametrize("case", list(shape_bombs.BOMBS))
def test_an_upload_shaped_huge_is_refused_before_its_arrays_are_made(case):
    name, make, kind, task, shape, _, expected = shape_bombs.BOMBS[case]
    data = make()
    assert len(data) < 100_000  # a small file: the design is what would make it huge
    text = {"column": "text"} if case == "text_csv" else None
    exc, peak = traced_peak(
        lambda: read_upload(name, data, task=task, input_shape=shape, text=text, input_id="in")
    )
    assert isinstance(exc, ArraysTooLarge)
    for part in [name, *expected]:
        assert part in str(exc), (part, str(exc))
    assert peak < REFUSAL_PEAK, peak


def test_a_language_model_text_counts_its_windows_against_the_limit(monkeypatch):
    """Windows and their next tokens are int64: 16 bytes a character.  The file limit's 8x
    caps what any file may become."""
    monkeypatch.setenv("NETBUILDER_MAX_DATA_MB", "0.1")  # arrays at most 800 KiB
    story = shape_bombs.story(60_000)
    with pytest.raises(ArraysTooLarge) as refused:
        read_upload("story.txt", story, task="language_model", input_shape=[100], input_id="in")
    windows = (len(story) - 1) // 100
    assert f"story.txt: {windows} samples shaped by the Input 'in' [100]" in str(refused.value)
    monkeypatch.setenv("NETBUILDER_MAX_DATA_MB", "1")
    made = read_upload("story.txt", story, task="language_model", input_shape=[100])
    assert len(made.x_train) + len(made.x_val) <= windows and made.y_train.dtype == np.int64


def test_built_in_text_is_held_to_the_limit_too():
    training = {"task": "classification", "dataset": "python_docs_pages"}
    with pytest.raises(ArraysTooLarge) as refused:
        load_dataset(training, [8_000_000], input_id="tokens")
    assert "python_docs_pages" in str(refused.value)
    assert "the Input 'tokens' [8000000]" in str(refused.value)


def test_a_numbers_csv_counts_its_arrays_and_reads_without_a_string_per_cell():
    rows = 200_000
    data = "a,b,c,label\n" + "".join(f"{i}.25,{i % 9}.5,{i % 5}.75,{i % 3}\n" for i in range(rows))
    data = data.encode()
    with pytest.raises(ArraysTooLarge) as refused:
        read_csv_table(data, "wide.csv", max_arrays=1_000_000)
    assert "wide.csv: at least 87,380 samples of shape [3] make more than 1,049 KB" in str(
        refused.value
    )  # refused while reading, a block at a time
    tracemalloc.start()
    x, y, classes, _ = read_csv_table(data, "wide.csv")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert x.shape == (rows, 3) and classes == ["0", "1", "2"]
    # The text, its arrays and the labels' classes: a string kept per cell would take 60 MB.
    assert peak < 4 * len(data) + x.nbytes, peak


def test_an_image_is_sized_from_its_header_and_pillow_keeps_its_own_limit():
    before = Image.MAX_IMAGE_PIXELS
    big = np.zeros((5000, 4000), np.uint8)  # 20 million pixels, over the 16.7 million per image
    buf = io_png(big)
    zipped = zip_of({"a/big.png": buf, "b/small.png": io_png(big[:8, :8])})
    with pytest.raises(
        DataError, match="big.png' is 4000x5000 pixels, larger than the 16,777,216 pixels allowed"
    ):
        read_image_zip(zipped, "photos.zip", (1, 8, 8))
    assert Image.MAX_IMAGE_PIXELS == before


def io_png(array) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def cli_train(design_dict: dict, tmp_path: Path, env: dict | None = None):
    """`python -m builder train`, in its own process; returns (process, its peak RSS bytes)."""
    path = tmp_path / "design.json"
    path.write_text(json.dumps(design_dict))
    args = ["train", str(path), "--epochs", "1", "--workspace", str(tmp_path / "ws"), "--quiet"]
    # VmHWM is this program's own peak: ru_maxrss would carry over the peak of the test process
    # it was forked from (Linux keeps it across exec).
    script = (
        "import atexit, runpy, sys\n"
        "def peak():\n"
        "    status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "    print('PEAK_RSS_KB', status, file=sys.stderr)\n"
        "atexit.register(peak)\n"
        f"sys.argv = ['builder', *{args!r}]\n"
        "runpy.run_module('builder', run_name='__main__')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    peak = int(proc.stderr.rsplit("PEAK_RSS_KB", 1)[1].split()[0]) * 1024
    return proc, peak


def last_error(proc) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert lines, proc.stderr
    return lines[-1]


@pytest.mark.parametrize("case", list(shape_bombs.BOMBS))
def test_the_command_line_refuses_a_shape_bomb_in_bounded_memory(case, tmp_path):
    name, make, *_, expected = shape_bombs.BOMBS[case]
    (tmp_path / name).write_bytes(make())
    proc, peak = cli_train(shape_bombs.bomb_design(case, str(tmp_path / name)), tmp_path)
    assert proc.returncode == 1
    error = last_error(proc)
    for part in [name, *expected]:
        assert part in error, (part, error)
    assert json.loads(proc.stdout.strip().splitlines()[-1])["status"] == "error"
    assert peak < CLI_RSS_LIMIT, f"{peak / 2**20:.0f} MiB"


def test_the_command_line_counts_a_language_models_windows(tmp_path):
    (tmp_path / "story.txt").write_bytes(shape_bombs.story(60_000))
    training = {"task": "language_model", "dataset": {"type": "text", "path": "story.txt"},
                "batch_size": 1, "epochs": 1}  # fmt: skip
    layers = shape_bombs.lm_layers([100])
    proc, _ = cli_train(design(layers, training), tmp_path, {"NETBUILDER_MAX_DATA_MB": "0.1"})
    assert proc.returncode == 1
    assert "story.txt: 569 samples shaped by the Input 'in' [100]" in last_error(proc)


def test_the_command_line_reads_a_numbers_csv_whatever_the_input_claims(tmp_path):
    (tmp_path / "points.csv").write_bytes(shape_bombs.numbers_csv())
    training = {"dataset": {"type": "csv", "path": "points.csv"}, "batch_size": 1}
    layers = shape_bombs.image_layers([1, 2048, 2048])
    proc, peak = cli_train(design(layers, training), tmp_path)
    assert proc.returncode == 1
    assert "gives samples of shape [2], but the Input expects [1, 2048, 2048]" in proc.stderr
    assert peak < CLI_RSS_LIMIT, f"{peak / 2**20:.0f} MiB"
