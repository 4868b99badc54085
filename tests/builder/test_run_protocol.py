"""The run protocol: every event kind encodes and decodes, and what is not in it is refused by
name, by the wire, the app's hooks, every sink and the exported train.py alike."""

from __future__ import annotations

import json
import sqlite3
import types
import typing
from contextlib import closing

import numpy as np
import pytest

from builder.cli.health import AlertWatch, HealthFile
from builder.cli.train import MetricsFile, Progress
from builder.codegen.program import training_program
from builder.design.presets import load_preset
from builder.runs.live import RunView
from builder.runs.protocol import (
    PAYLOADS,
    EventKind,
    ProtocolError,
    RunStatus,
    decode_event,
    dispatch,
    encode_event,
    make_event,
)
from builder.runs.samples_file import SamplesFile
from builder.runs.store import RunStore
from builder.training.control import RunControl

SIMPLE = {int: 3, float: 0.25, str: "text", bool: True, bytes: b"\x00weights"}


def example(hint):
    """A value of the annotated type, to fill every field of a payload."""
    if hint in SIMPLE:
        return SIMPLE[hint]
    if hint is RunStatus:
        return RunStatus.FINISHED
    if hint is typing.Any:
        return np.arange(6, dtype=np.float32).reshape(2, 3)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return example(next(a for a in args if a is not type(None)))
    if origin is list or hint is list:
        return [example(args[0] if args else str)]
    if origin is dict or hint is dict:
        return {"val_accuracy": 0.5}
    raise AssertionError(f"no example for {hint!r}")


def full_event(kind: EventKind) -> dict:
    hints = typing.get_type_hints(PAYLOADS[kind])
    return {"type": kind, **{k: example(h) for k, h in hints.items() if k != "type"}}


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b and type(a) is type(b)


def test_every_event_kind_has_a_payload():
    assert set(PAYLOADS) == set(EventKind)


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_event_kind_encodes_and_decodes_with_all_its_fields(kind):
    event = full_event(kind)
    line = encode_event(event)
    assert "\n" not in line and json.loads(line)["type"] == kind.value  # plain text on the wire
    back = decode_event(line)
    assert same(back, event), (back, event)
    assert back["type"] is kind


@pytest.mark.parametrize("kind", list(EventKind))
def test_a_missing_required_field_is_named(kind):
    required = sorted(PAYLOADS[kind].__required_keys__ - {"type"})
    event = full_event(kind)
    del event[required[0]]
    with pytest.raises(ProtocolError, match=f"a {kind} event needs {required[0]}"):
        encode_event(event)


def test_an_unknown_kind_is_refused_by_name_everywhere(tmp_path):
    bogus = {"type": "telemetry", "value": 1}
    with pytest.raises(ProtocolError, match="unknown event kind 'telemetry'"):
        encode_event(bogus)
    with pytest.raises(ProtocolError, match="unknown event kind 'telemetry'"):
        decode_event(json.dumps(bogus))
    with pytest.raises(ProtocolError, match="unknown event kind 'telemetry'"):
        RunControl().emit("telemetry", value=1)
    with pytest.raises(ProtocolError, match="unknown event kind None"):
        dispatch({}, {"epoch": 1})
    store = RunStore(tmp_path)
    sinks = [
        store.sink(store.create_run(load_preset("mlp_moons"))),
        SamplesFile(tmp_path / "samples.npz"),
        Progress(quiet=False),
        MetricsFile(tmp_path / "metrics.jsonl"),
        HealthFile(tmp_path / "health.jsonl"),
        AlertWatch(quiet=True),
        RunView().add,
    ]
    for sink in sinks:
        with pytest.raises(ProtocolError, match="unknown event kind 'telemetry'"):
            sink(bogus if sink is not sinks[-1] else [bogus])


def test_an_unknown_status_or_command_is_refused_by_name():
    with pytest.raises(ProtocolError, match="unknown run status 'asleep'"):
        make_event(EventKind.STATUS, status="asleep")
    with pytest.raises(ProtocolError, match="unknown command 'rewind'"):
        RunControl().obey("rewind")


def test_the_exported_train_py_knows_the_kinds_and_refuses_others():
    program = training_program(load_preset("mlp_moons"))
    assert program.EVENT_KINDS == tuple(EventKind)
    hooks = program.ScriptHooks()
    for kind in EventKind:
        hooks.emit(kind.value, **full_event(kind))  # every kind is taken (most pass by)
    with pytest.raises(program.TrainingError, match="unknown event kind 'telemetry'"):
        hooks.emit("telemetry", value=1)


def test_statuses_read_back_from_the_store_as_the_enum_and_old_text_still_reads(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create_run(load_preset("mlp_moons"))
    store.finish_run(run_id, "stopped")  # as a run recorded before the enum wrote it
    assert store.get_run(run_id)["status"] is RunStatus.STOPPED
    with closing(sqlite3.connect(store.path)) as db, db:  # a status this version never wrote
        db.execute("UPDATE runs SET status = 'hibernating' WHERE id = ?", (run_id,))
    run = store.get_run(run_id)
    assert run["status"] is RunStatus.ERROR and "'hibernating'" in run["error"]
    with pytest.raises(ValueError, match="status must be one of"):
        store.finish_run(run_id, RunStatus.PAUSED)  # a live view's status, never recorded
