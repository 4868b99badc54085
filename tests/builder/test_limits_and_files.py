"""One reader of limits from the environment, and one atomic file writer."""

from __future__ import annotations

import pytest

from builder.atomic import atomic_writer, write_atomic
from builder.data.datasets import max_file_bytes
from builder.design.shapes import sample_memory_limit
from builder.limits import MB, EnvLimit
from builder.runs.queue import default_max_running


def test_a_limit_reads_its_variable_scaled_or_falls_back_to_its_default(monkeypatch):
    limit = EnvLimit("NB_TEST_LIMIT_MB", 2.5, "megabytes", scale=MB)
    monkeypatch.delenv("NB_TEST_LIMIT_MB", raising=False)
    assert limit.read() == int(2.5 * MB)
    monkeypatch.setenv("NB_TEST_LIMIT_MB", "0.5")
    assert limit.read() == MB // 2
    for bad in ("lots", "-3", "0", "nan", "inf"):
        monkeypatch.setenv("NB_TEST_LIMIT_MB", bad)
        assert limit.read() == int(2.5 * MB), bad


def test_a_strict_limit_refuses_a_bad_value_by_name(monkeypatch):
    limit = EnvLimit("NB_TEST_RUNS", lambda: 3, "runs", whole=True, refuse_bad=True)
    monkeypatch.delenv("NB_TEST_RUNS", raising=False)
    assert limit.read() == 3
    monkeypatch.setenv("NB_TEST_RUNS", " 7 ")
    assert limit.read() == 7
    for bad in ("2.5", "0", "many"):
        monkeypatch.setenv("NB_TEST_RUNS", bad)
        with pytest.raises(
            ValueError, match=rf"NB_TEST_RUNS must be a whole number of runs.*{bad}"
        ):
            limit.read()


def test_the_products_limits_are_read_through_it(monkeypatch):
    monkeypatch.setenv("NETBUILDER_MAX_DATA_MB", "3")
    monkeypatch.setenv("NETBUILDER_MAX_SAMPLE_MB", "5")
    monkeypatch.setenv("NETBUILDER_MAX_RUNS", "4")
    assert (max_file_bytes(), sample_memory_limit()) == (3 * MB, 5 * MB)
    assert default_max_running() == 4


def test_an_atomic_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "design.json"
    write_atomic(path, "old")
    assert write_atomic(path, "new ✓") == path
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["design.json"]


def test_a_failed_atomic_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "weights.pt"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_writer(path) as out:
        out.write(b"half of it")
        raise RuntimeError("disk full")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.pt"]
