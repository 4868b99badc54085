"""Hostile ONNX files: external data in every place a tensor can hide is refused by place before
any byte is read (a sentinel file the location points to is never opened, and no message says
whether it exists); folding bombs are refused before anything computes them, quickly and in
bounded memory; a file whose mapped design would give other outputs is refused by its output."""

from __future__ import annotations

import ctypes
import os
import resource
import struct
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from builder.importers import onnx_check
from builder.importers.from_onnx import import_onnx
from builder.importers.graph import ImportRefused
from tests.hostile import onnx_bombs as bombs
from tests.hostile import onnx_corpus as corpus

SENTINEL = b"SECRET-cookie_secret-" + bytes(range(65, 91)) + b"-END" * 4  # 63 bytes
ROOT = Path(__file__).resolve().parents[2]
QUICK_S = 2.0  # a refusal that runs nothing takes milliseconds; a bomb run would take far longer
PYTHON_HEAP = 32 * 2**20  # what a refusal may allocate at its peak (the bombs want gigabytes)
RSS_GROWTH = 256 * 2**20


class Started:
    """Processes started while active, seen through Python's audit hooks (onnxruntime's check
    is started with subprocess, which raises them)."""

    def __init__(self) -> None:
        self.active = False
        self.started: list[str] = []
        sys.addaudithook(self.hook)

    def hook(self, event: str, args) -> None:
        if self.active and event in ("subprocess.Popen", "os.posix_spawn", "os.exec"):
            self.started.append(str(args[0])[:200])


STARTED = Started()


class Opens:
    """Opens and reads of the files in some folders, by any code in any process (onnx opens
    external data from C++, out of sight of Python's audit hooks), seen through Linux inotify."""

    IN_ACCESS, IN_OPEN, IN_NONBLOCK = 0x1, 0x20, 0o4000

    def __init__(self, *folders: Path) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(self.IN_NONBLOCK)
        assert self.fd >= 0, os.strerror(ctypes.get_errno())
        for folder in folders:
            assert self.libc.inotify_add_watch(
                self.fd, str(folder).encode(), self.IN_ACCESS | self.IN_OPEN
            ) >= 0, os.strerror(ctypes.get_errno())  # fmt: skip

    def names(self) -> list[str]:
        """Files opened or read since the last call (an event without a name is the folder)."""
        found = []
        try:
            while chunk := os.read(self.fd, 65536):
                at = 0
                while at < len(chunk):
                    _, _, _, length = struct.unpack_from("iIII", chunk, at)
                    name = chunk[at + 16 : at + 16 + length].rstrip(b"\0").decode()
                    found.append(name or ".")
                    at += 16 + length
        except BlockingIOError:
            pass
        return found

    def close(self) -> None:
        os.close(self.fd)


def refusal(data: bytes, opens: Opens | None = None):
    """(the refusal's text, seconds, peak Python heap, RSS growth, files opened, processes)."""
    if opens is not None:
        opens.names()  # only what the import does counts
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    started = time.perf_counter()
    STARTED.started.clear()
    STARTED.active = True
    try:
        with pytest.raises(ImportRefused) as refused:
            import_onnx(data, "hostile")
    finally:
        STARTED.active = False
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    opened = opens.names() if opens is not None else []
    return str(refused.value), seconds, peak, grown, opened, list(STARTED.started)


# (where the process runs, relative to the sentinel's folder; the location; offset; length)
LOCATIONS = {
    "relative": ("", "sentinel.bin", None, None),
    "dot relative": ("", "./sentinel.bin", None, None),
    "parent": ("sub", "../sentinel.bin", None, None),
    "traversal": ("sub", "../sub/../sentinel.bin", None, None),
    "absolute": ("sub", "{root}/sentinel.bin", None, None),
    "missing": ("", "absent.bin", None, None),
    "absolute missing": ("sub", "{root}/absent.bin", None, None),
    "offset past the end": ("", "sentinel.bin", 10**12, 64),
    "length past the end": ("", "sentinel.bin", 0, 10**12),
    "a folder": ("sub", "{root}", None, None),
}


@pytest.fixture
def beside(tmp_path, monkeypatch):
    """A sentinel file with secret-looking bytes; returns (root, a function placing the process
    for a location and giving the location's text)."""
    (tmp_path / "sentinel.bin").write_bytes(SENTINEL + b"!")  # 64 bytes: a 4x4 float tensor
    (tmp_path / "sub").mkdir()
    opens = Opens(tmp_path, tmp_path / "sub")

    def place(name: str):
        folder, location, offset, length = LOCATIONS[name]
        monkeypatch.chdir(tmp_path / folder)
        return location.format(root=tmp_path), {"offset": offset, "length": length}

    yield tmp_path, place, opens
    opens.close()


def assert_nothing_leaked(text: str, root: Path, opened: list[str]) -> None:
    assert not opened, f"opened or read beside the file: {opened}"
    assert SENTINEL[:16].decode() not in text and str(root) not in text
    assert "sentinel" not in text and "absent" not in text and "Traceback" not in text
    assert "No such file" not in text and "exist" not in text


def test_the_sentinel_watch_sees_a_real_read_of_external_data(beside):
    """Without the walk, onnx reads the sentinel through a relative location: the watch sees it,
    so the tests below that see nothing are worth something."""
    _, place, opens = beside
    location, _ = place("relative")
    opens.names()
    array = numpy_helper.to_array(corpus.external("w", location))
    assert array.tobytes() == SENTINEL + b"!"
    assert "sentinel.bin" in opens.names()


@pytest.mark.parametrize("location", list(LOCATIONS))
@pytest.mark.parametrize(
    "maker", list(corpus.EXTERNAL_PLACES), ids=[m.__name__ for m in corpus.EXTERNAL_PLACES]
)
def test_external_data_anywhere_is_refused_by_place_before_a_byte_is_read(maker, location, beside):
    root, place, opens = beside
    text_location, extent = place(location)
    if maker in (corpus.entries_without_the_flag, corpus.flag_without_entries):
        extent = {}
    text, seconds, peak, grown, opened, started = refusal(maker(text_location, **extent), opens)
    expected = corpus.EXTERNAL_PLACES[maker]
    assert f"{expected} refers to external data" in text, text
    assert_nothing_leaked(text, root, opened)
    assert not started, "nothing runs for a refused file"
    assert seconds < QUICK_S and peak < PYTHON_HEAP and grown < RSS_GROWTH, (seconds, peak, grown)


@pytest.mark.parametrize(
    "maker", list(corpus.EXTERNAL_PLACES), ids=[m.__name__ for m in corpus.EXTERNAL_PLACES]
)
def test_a_refusal_never_says_whether_the_file_it_points_to_exists(maker, beside):
    _, place, _ = beside
    said = set()
    for location in ("relative", "missing", "absolute", "absolute missing", "offset past the end"):
        text_location, extent = place(location)
        if maker in (corpus.entries_without_the_flag, corpus.flag_without_entries):
            extent = {}
        said.add(refusal(maker(text_location, **extent))[0])
    assert len(said) == 1, said


def test_nested_graphs_are_walked_before_they_are_refused(beside):
    _, place, _ = beside
    text = refusal(corpus.in_loop_if_constant(place("parent")[0]))[0]
    assert "tensor 'deep' refers to external data" in text
    assert "node '/repeat/Loop' (Loop) > attribute 'body' holds a nested graph" in text


def test_every_external_tensor_is_named_not_only_the_first(beside):
    _, place, _ = beside
    location = place("relative")[0]
    tensors = [corpus.external(f"w{i}", location) for i in range(30)]
    text = refusal(corpus.model([corpus.gemm("w0")], tensors))[0]
    assert "initializer 'w0'" in text and "initializer 'w19'" in text and "and 10 more" in text


BOMB_VARIANTS = [  # held back from the list above: other shapes and ways to spell them
    (lambda: bombs.random_normal((2**31,)), "makes values from no input"),
    (lambda: bombs.random_uniform((1, 1, 2**20, 2**20)), "makes values from no input"),
    (lambda: bombs.constant_of_shape((2**20, 2**20)), "would hold 1,099,511,627,776 values"),
    (lambda: bombs.constant_of_shape((1, 2**21)), "would hold 2,097,152 values"),
    (lambda: bombs.expand((2, 2**30)), "would hold 2,147,483,648 values"),
    (lambda: bombs.tile((2**11, 2**11)), "would hold 16,777,216 values"),
    (lambda: bombs.declared_small(bombs.constant_of_shape()), "would hold 10,000,000,000 values"),
    (lambda: bombs.declared_small(bombs.expand((2**20, 2**12))), "would hold 4,294,967,296"),
    (lambda: bombs.bomb_as_the_output(), "its output 'y' would hold 10,000,000,000 values"),
    (bombs.shadowing_function, "function 'Relu' is defined in the file"),
    (lambda: bombs.many_nodes(25_000), "25,001 nodes"),
    (lambda: bombs.deeply_nested(60), "not a readable ONNX file"),
    (lambda: bombs.deeply_nested(20), "holds a nested graph"),
]
BOMBS = [(maker, words) for maker, words in bombs.FOLDING_BOMBS.items()] + BOMB_VARIANTS


@pytest.mark.parametrize(
    "maker, words",
    BOMBS,
    ids=[m.__name__ for m in bombs.FOLDING_BOMBS]
    + [f"variant{i}" for i in range(len(BOMB_VARIANTS))],
)
def test_folding_bombs_are_refused_quickly_in_bounded_memory_and_run_nothing(maker, words):
    data = maker()
    assert len(data) < 2 * 2**20  # small files, each shaped to make gigabytes
    text, seconds, peak, grown, _, started = refusal(data)
    assert words in text, text
    assert not started, "nothing runs for a refused file"
    assert seconds < QUICK_S and peak < PYTHON_HEAP and grown < RSS_GROWTH, (seconds, peak, grown)


@pytest.mark.parametrize("maker", bombs.MISMATCHES, ids=[m.__name__ for m in bombs.MISMATCHES])
def test_a_file_whose_mapped_design_gives_other_outputs_is_refused_by_output_and_difference(maker):
    text = refusal(maker())[0]
    assert "output 'y': the mapped design's outputs differ from the file's by" in text, text


def _heavy_constant(shape) -> bytes:
    """A file onnxruntime would fill with 8 GiB if nothing stopped it (the mapper never passes
    it on; the check's own limits are tested here on their own)."""
    fill = helper.make_node("ConstantOfShape", ["shape"], ["big"])
    shape_init = numpy_helper.from_array(np.array(shape, np.int64), "shape")
    add = helper.make_node("Add", ["x", "big"], ["y"])
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    graph = helper.make_graph([fill, add], "g", inputs, outputs, [shape_init])
    made = helper.make_model(graph, opset_imports=corpus.OPSET)
    return made.SerializeToString()


def test_the_output_check_runs_in_a_process_whose_memory_is_limited():
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    example = np.zeros((2, 1), np.float32)
    with pytest.raises(ImportRefused, match="needed more than .* MiB of memory"):
        onnx_check.onnxruntime_output(_heavy_constant([2**15, 2**16]), "x", example)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before < RSS_GROWTH
    fine = onnx_check.onnxruntime_output(_heavy_constant([1, 3]), "x", example)
    assert fine.shape == (2, 3)


def test_the_output_check_runs_in_a_process_whose_time_is_limited(monkeypatch):
    monkeypatch.setattr(onnx_check, "CHECK_SECONDS", 1)
    weight = numpy_helper.from_array(np.eye(1024, dtype=np.float32), "w")
    names = ["x"] + [f"h{i}" for i in range(400)]
    nodes = [helper.make_node("MatMul", [names[i], "w"], [names[i + 1]]) for i in range(400)]
    nodes.append(helper.make_node("Identity", [names[-1]], ["y"]))
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1024])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    graph = helper.make_graph(nodes, "g", inputs, outputs, [weight])
    data = helper.make_model(graph, opset_imports=corpus.OPSET).SerializeToString()
    started = time.perf_counter()
    with pytest.raises(ImportRefused, match="1 s"):
        onnx_check.onnxruntime_output(data, "x", np.ones((1024, 1024), np.float32))
    assert time.perf_counter() - started < 30


def test_the_output_check_process_cannot_write_files_or_see_the_server_folder(
    tmp_path, monkeypatch
):
    """Its working folder is empty and its writes are limited to nothing: an external location
    that slipped past everything would find nothing relative to the server's folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sentinel.bin").write_bytes(SENTINEL + b"!")
    leaked = onnx.load_model_from_string(corpus.in_initializer("sentinel.bin"))
    leaked.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 2
    with pytest.raises(ImportRefused) as refused:
        onnx_check.onnxruntime_output(leaked.SerializeToString(), "x", np.ones((2, 4), np.float32))
    assert SENTINEL[:16].decode() not in str(refused.value)


def test_the_command_line_refuses_a_hostile_file_without_a_traceback_or_a_path(tmp_path):
    (tmp_path / "sentinel.bin").write_bytes(SENTINEL + b"!")
    for name, data in {
        "constant.onnx": corpus.in_constant_value("sentinel.bin"),
        "absolute.onnx": corpus.in_if_then_branch(str(tmp_path / "sentinel.bin")),
    }.items():
        (tmp_path / name).write_bytes(data)
        proc = subprocess.run(
            [sys.executable, "-m", "builder", "import", name, "-o", "out.json"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        assert proc.returncode == 1 and "cannot import this model" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr and SENTINEL[:16].decode() not in proc.stderr
        assert str(tmp_path) not in proc.stderr
        assert not (tmp_path / "out.json").exists()


def _resize_of(batch: int, scale: float = 4.0) -> bytes:
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 64, 128, 128])]
    scales = numpy_helper.from_array(np.array([1, 1, scale, scale], np.float32), "scales")
    resize = helper.make_node("Resize", ["x", "", "scales"], ["y"], name="/up/Resize")
    return corpus.model([resize], [scales], inputs=inputs)


def test_a_file_that_fixes_a_large_batch_is_refused_before_its_outputs_are_checked():
    text, _, _, _, _, started = refusal(_resize_of(64))
    assert "input 'x' fixes the batch at 64" in text and "dynamic batch" in text, text
    assert not started


def test_a_file_that_fixes_a_small_batch_is_checked_with_that_batch():
    design, _, diff = import_onnx(_resize_of(1, 2.0), "fixed")
    assert diff == 0.0 and design.models["model"].nodes[-1].type == "Upsample"
