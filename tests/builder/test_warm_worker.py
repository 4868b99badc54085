"""A spare worker, started ahead of time, trains the next run; without one, a new process does."""

from __future__ import annotations

import pytest

from builder.design.presets import load_preset
from builder.runs import warm_worker
from builder.runs.store import RunStore

pytestmark = pytest.mark.slow


def _train(tmp_path):
    design = load_preset("mlp_moons").with_training(epochs=1, batch_size=200)
    handle = warm_worker.start_run(design, tmp_path, step_every=2)
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
