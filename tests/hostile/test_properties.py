"""Property tests: any design file and any uploaded bytes end as a design or a clear error, and
what the app writes is standard JSON."""

from __future__ import annotations

import json
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder import DesignError, load_design
from builder.cli.train import MetricsFile
from builder.data import DataError, dataset_from_bytes
from builder.design.presets import load_preset
from builder.runs.store import RunStore
from builder.runs.thread import ThreadRun
from tests.hostile import corpus

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def mutated(base: dict):
    """A valid design with one value somewhere replaced by anything JSON can hold."""
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, (*path, i))

    walk(base, ())
    return st.tuples(st.sampled_from(paths[1:]), json_values)


BASE = load_preset("lenet_digits").to_dict()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(change=mutated(BASE))
def test_any_change_to_a_design_file_is_a_design_or_a_design_error(change):
    path, value = change
    data = json.loads(json.dumps(BASE))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    try:
        design = load_design(data)
    except DesignError as exc:
        assert str(exc) and len(str(exc)) < 20_000
        return
    design.to_json().encode("utf-8")  # whatever loads can be written back


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=4096), kind=st.sampled_from(["csv", "npz", "images"]))
def test_any_uploaded_bytes_are_a_data_set_or_a_data_error(data, kind):
    try:
        dataset_from_bytes(kind, data, f"upload.{kind}", "classification", 0, [1, 8, 8])
    except DataError as exc:
        assert str(exc).startswith("upload.")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flag=st.sampled_from([1, 8, 64]), method=st.sampled_from([None, 1, 6, 12, 14, 98, 99]))
def test_any_zip_header_trick_is_a_data_error(flag, method):
    data = corpus.flagged_zip(flag=flag, method=method)
    try:
        dataset_from_bytes("images", data, "trick.zip", "classification", 0, [1, 8, 8])
    except DataError as exc:
        assert "trick.zip" in str(exc)


def strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"not standard JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_metrics_files_and_the_run_store_write_standard_json(tmp_path):
    metrics = MetricsFile(tmp_path / "metrics.jsonl")
    metrics({"type": "epoch", "epoch": 1, "val_loss": math.inf, "train_loss": math.nan})
    metrics.close()
    row = strict_json((tmp_path / "metrics.jsonl").read_text())
    assert row == {"epoch": 1, "val_loss": None, "train_loss": None}
    store = RunStore(tmp_path / "ws")
    run_id = store.create_run(load_preset("mlp_moons"))
    store.add_metrics(run_id, 1, {"val_loss": -math.inf, "nested": [math.nan, 1.0]})
    store.finish_run(run_id, "finished", final={"val_loss": math.inf})
    assert store.metrics(run_id) == [{"val_loss": None, "nested": [None, 1.0]}]
    assert store.get_run(run_id)["final"] == {"val_loss": None}


def test_many_classes_keep_their_most_frequent_mistakes_not_a_classes_squared_matrix(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.arange(600) % 60
    rows = "".join(f"{rng.normal():.3f},{rng.normal():.3f},k{label}\n" for label in labels)
    path = tmp_path / "many.csv"
    path.write_text("a,b,label\n" + rows)
    layers = [("in", "Input", {"shape": [2]}), ("out", "Dense", {"out_features": 60})]
    design = corpus.design(layers, {"dataset": {"type": "csv", "path": str(path)}, "epochs": 1})
    run = ThreadRun(load_design(design), step_every=1000)
    run.join(120)
    epoch = next(e for e in run.poll() if e["type"] == "epoch")
    assert "confusion" not in epoch
    assert 0 < len(epoch["mistakes"]) <= 20
    for true, predicted, count in epoch["mistakes"]:
        assert true != predicted and count >= 1 and 0 <= true < 60
    assert len(json.dumps(epoch)) < 5_000
