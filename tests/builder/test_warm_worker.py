"""A spare worker, started ahead of time, trains the next run; without one, a new process does."""

from __future__ import annotations

import os
import stat
import tempfile

import pytest

from builder.design.presets import load_preset
from builder.runs import warm_worker
from builder.runs.job import RunOptions
from builder.runs.store import RunStore

pytestmark = pytest.mark.slow


def _train(tmp_path):
    design = load_preset("mlp_moons").with_training(epochs=1, batch_size=200)
    handle = warm_worker.start_run(design, tmp_path, RunOptions(step_every=2))
    assert handle.wait(180) == 0
    kinds = [e["type"] for e in handle.poll()]
    assert kinds[0] == "start" and "step" in kinds and kinds[-1] == "done"
    assert RunStore(tmp_path).get_run(handle.run_id)["status"] == "finished"
    return handle


def test_the_spare_takes_the_next_run_and_is_used_once(tmp_path):
    warm_worker.prestart()
    spare = warm_worker._SPARE
    warm_worker.prestart()  # one spare at a time
    assert warm_worker._SPARE is spare
    handle = _train(tmp_path)
    assert handle.process is spare and warm_worker._SPARE is None
    assert _train(tmp_path).process is not spare  # no spare left: a fresh process


def test_a_spare_that_is_not_needed_exits_quietly():
    warm_worker.prestart()
    spare = warm_worker._SPARE
    warm_worker.stop_spare()
    assert spare.returncode is not None and warm_worker.take() is None


def test_the_spare_log_is_private_and_never_follows_a_planted_link(tmp_path, monkeypatch):
    shared_tmp = tmp_path / "tmp"
    shared_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(shared_tmp))
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / warm_worker.LOG_NAME).write_text("precious")
    mine = shared_tmp / f"netbuilder-{os.getuid()}"

    mine.symlink_to(victim)  # another user's link, by the name this user's folder would have
    log = warm_worker.log_path()
    assert log.parent != mine and victim not in log.parents
    assert (victim / warm_worker.LOG_NAME).read_text() == "precious"
    mine.unlink()

    mine.mkdir(mode=0o777)  # a folder others may write in is not private either
    os.chmod(mine, 0o777)
    assert warm_worker.log_path().parent != mine
    os.rmdir(mine)

    log = warm_worker.log_path()  # the folder is made private; the log is this user's only
    assert log.parent == mine
    assert stat.S_IMODE(os.stat(mine).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    log.unlink()
    log.symlink_to(victim / warm_worker.LOG_NAME)  # a link inside: replaced, not followed
    assert warm_worker.log_path() == log and not log.is_symlink()
    assert (victim / warm_worker.LOG_NAME).read_text() == "precious"
