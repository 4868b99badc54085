"""The GAN loop: shape checks, real training on 2-D points, digits and image ZIPs, seeds, events."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import torch

from builder import GraphError, infer_shapes, load_design
from builder.cli.main import main
from builder.codegen.program import training_program
from builder.data import Dataset, load_for_design
from builder.design.presets import load_preset
from builder.introspect.trained import trained_models
from builder.recipes.optimizers import model_optimizer
from builder.training.checks import gan_problems
from builder.training.control import RunControl, TrainingError
from builder.training.runner import run_loop, train_loop
from tests.waiting import drain


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Tiny models: one thread is fastest, and avoids oversubscribing a shared machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def digits_subset(design, count=192):
    """The design's digits, cut to a few batches to keep the test short."""
    data = load_for_design(design)
    return Dataset("digits", "gan", data.x_train[:count], None, data.x_val[:8], None)


def run(design, **kwargs):
    events: list[dict] = []
    result = run_loop(train_loop, design, RunControl([events.append], step_every=3), **kwargs)
    return result, events


def of(events, kind):
    return [e for e in events if e["type"] == kind]


def gan_dict(gen_out=2, disc_in=2, disc_out=1, dataset="moons", **training):
    return {
        "version": 1,
        "name": "tiny gan",
        "models": {
            "generator": {
                "nodes": [
                    {"id": "z", "type": "Input", "params": {"shape": [4]}},
                    {"id": "g_out", "type": "Dense", "params": {"out_features": gen_out}},
                ],
                "edges": [["z", "g_out"]],
            },
            "discriminator": {
                "nodes": [
                    {"id": "x", "type": "Input", "params": {"shape": [disc_in]}},
                    {"id": "d_hidden", "type": "Dense", "params": {"out_features": 8}},
                    {"id": "d_out", "type": "Dense", "params": {"out_features": disc_out}},
                ],
                "edges": [["x", "d_hidden"], ["d_hidden", "d_out"]],
            },
        },
        "training": {"task": "gan", "dataset": dataset, "batch_size": 128, **training},
        "layout": {},
    }


def test_generator_output_must_match_the_discriminator_input():
    with pytest.raises(GraphError) as info:
        infer_shapes(gan_dict(gen_out=3))
    (problem,) = info.value.problems
    assert problem.node_id == "g_out" and problem.model == "generator"
    assert "[3]" in str(problem) and "[2]" in str(problem)


def test_discriminator_must_output_one_logit():
    with pytest.raises(GraphError) as info:
        infer_shapes(gan_dict(disc_out=2))
    (problem,) = info.value.problems
    assert problem.node_id == "d_out" and problem.model == "discriminator"
    assert "one logit [1], got [2]" in str(problem)


def test_data_that_does_not_fit_names_both_models_nodes_and_shapes():
    design = load_design(gan_dict(dataset="digits"))
    problems = gan_problems(design, load_for_design(design))
    text = [str(p) for p in problems]
    assert any("'x' (Input)" in t and "[1, 8, 8]" in t and "[2]" in t for t in text), text
    assert any(
        t.startswith("generator: node 'g_out' (Dense)") and "[2]" in t and "[1, 8, 8]" in t
        for t in text
    ), text
    result, events = run(design, epochs=1)
    assert result is None
    (error,) = of(events, "error")
    assert "g_out" in error["message"] and "[1, 8, 8]" in error["message"]


def test_a_single_model_design_is_not_a_gan():
    design = load_preset("mlp_moons").with_training(task="gan")
    with pytest.raises(TrainingError, match='"generator" and "discriminator"'):
        train_loop(design, RunControl())


def test_per_model_optimizer_override_goes_on_top_of_the_shared_one():
    settings = {
        "optimizer": {"type": "adam", "lr": 0.001, "betas": [0.5, 0.999]},
        "optimizers": {"discriminator": {"lr": 0.0004}},
    }
    assert model_optimizer(settings, "generator")["lr"] == 0.001
    disc = model_optimizer(settings, "discriminator")
    assert disc["lr"] == 0.0004 and disc["betas"] == [0.5, 0.999]


def test_sample_kinds():
    sample_kind = training_program(load_design(gan_dict())).sample_kind
    assert sample_kind([1, 8, 8]) == "images" and sample_kind([3, 32, 32]) == "images"
    assert sample_kind([2]) == "points" and sample_kind([5]) == "arrays"


def test_moons_training_changes_samples_and_keeps_losses_finite():
    design = load_preset("gan_moons")
    result, events = run(design, epochs=3)
    assert result is not None, of(events, "error")
    start = of(events, "start")[0]
    assert start["sample_kind"] == "points" and start["real"].shape == (1000, 2)
    assert start["noise_shape"] == [8] and start["n_train"] == 1000
    epochs = of(events, "epoch")
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    for e in epochs:
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert np.isfinite(e[key]), (key, e)
        assert 0 < e["d_real"] < 1 and 0 < e["d_fake"] < 1
    steps = of(events, "step")
    assert steps and all(np.isfinite(s["d_loss"]) and np.isfinite(s["g_loss"]) for s in steps)
    samples = of(events, "samples")
    assert [s["epoch"] for s in samples] == [0, 1, 2, 3]  # 0: the untrained generator
    for s in samples:
        assert s["kind"] == "points" and s["samples"].shape == (256, 2)
        assert s["samples"].dtype == np.float32
    assert not np.allclose(samples[0]["samples"], samples[-1]["samples"])
    done = of(events, "done")[0]
    assert done["status"] == "finished" and done["final"]["epochs"] == 3
    assert set(result.weights) == {"generator", "discriminator"}
    models = trained_models(design, result.weights)  # the weights fit the design's models
    assert set(models) == {"generator", "discriminator"}


def test_same_seed_same_samples_other_seed_other_samples():
    design = load_preset("gan_moons")
    first = [s["samples"] for s in of(run(design, epochs=2)[1], "samples")]
    again = [s["samples"] for s in of(run(design, epochs=2)[1], "samples")]
    other = [s["samples"] for s in of(run(design, epochs=2, seed=7)[1], "samples")]
    assert len(first) == 3
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[-1], other[-1])


def test_label_smoothing_changes_the_discriminator_loss():
    design = load_design(gan_dict(epochs=1))
    plain = of(run(design)[1], "epoch")[0]["d_loss"]
    smooth = of(run(design.with_training(label_smoothing=0.2))[1], "epoch")[0]["d_loss"]
    assert plain != smooth


@pytest.mark.parametrize("dataset", ["circles", "spirals"])
def test_other_2d_data_sets(dataset):
    _, events = run(load_design(gan_dict(dataset=dataset)), epochs=1)
    assert of(events, "done"), of(events, "error")
    assert of(events, "samples")[-1]["samples"].shape == (64, 2)


@pytest.mark.parametrize("preset", ["mlp_gan_digits", "dcgan_digits"])
def test_digit_gans_sample_images_in_minus_one_to_one(preset):
    design = load_preset(preset).with_training(noise_samples=16)
    _, events = run(design, epochs=1, dataset=digits_subset(design))
    assert of(events, "done"), of(events, "error")
    assert of(events, "start")[0]["real"].shape == (16, 1, 8, 8)
    samples = of(events, "samples")
    assert [s["kind"] for s in samples] == ["images", "images"]
    last = samples[-1]["samples"]
    assert last.shape == (16, 1, 8, 8) and last.min() >= -1 and last.max() <= 1
    assert np.isfinite(of(events, "epoch")[0]["g_loss"])


def image_zip(count=24, size=6) -> bytes:
    from PIL import Image

    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(count):
            pixels = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
            png = io.BytesIO()
            Image.fromarray(pixels, "RGB").save(png, format="PNG")
            archive.writestr(f"faces/{i}.png", png.getvalue())
    return buffer.getvalue()


def test_user_image_zip_in_color(tmp_path):
    path = tmp_path / "faces.zip"
    path.write_bytes(image_zip())
    design = {
        "version": 1,
        "name": "color gan",
        "models": {
            "generator": {
                "nodes": [
                    {"id": "z", "type": "Input", "params": {"shape": [8]}},
                    {
                        "id": "g",
                        "type": "Dense",
                        "params": {"out_features": 48, "activation": "tanh"},
                    },
                    {"id": "img", "type": "Reshape", "params": {"shape": [3, 4, 4]}},
                ],
                "edges": [["z", "g"], ["g", "img"]],
            },
            "discriminator": {
                "nodes": [
                    {"id": "x", "type": "Input", "params": {"shape": [3, 4, 4]}},
                    {"id": "c", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}},
                    {"id": "f", "type": "Flatten", "params": {}},
                    {"id": "d", "type": "Dense", "params": {"out_features": 1}},
                ],
                "edges": [["x", "c"], ["c", "f"], ["f", "d"]],
            },
        },
        "training": {
            "task": "gan",
            "dataset": {"type": "images", "path": str(path)},
            "batch_size": 8,
            "epochs": 2,
            "noise_samples": 4,
        },
        "layout": {},
    }
    _, events = run(load_design(design))
    assert of(events, "done"), of(events, "error")
    start = of(events, "start")[0]
    assert start["sample_shape"] == [3, 4, 4] and start["n_train"] == 24
    assert of(events, "samples")[-1]["samples"].shape == (4, 3, 4, 4)


def test_nan_in_the_data_stops_the_run_with_an_error():
    design = load_preset("gan_moons")
    x = np.full((64, 2), np.nan, np.float32)
    data = Dataset("broken", "gan", x, None, x[:8], None)
    result, events = run(design, epochs=2, dataset=data)
    assert result is None and not of(events, "epoch")
    (error,) = of(events, "error")
    assert "NaN" in error["message"] and "step 1" in error["message"]


def test_stop_keeps_the_weights_trained_so_far():
    design = load_preset("gan_moons")
    events: list[dict] = []
    control = RunControl([events.append], step_every=1)

    def stop_after_two_steps(event):
        if event["type"] == "step" and event["step"] == 2:
            control.stop()

    control.add_sink(stop_after_two_steps)
    result = run_loop(train_loop, design, control, epochs=5)
    assert of(events, "done")[0]["status"] == "stopped"
    assert max(e["step"] for e in of(events, "step")) == 2
    assert set(result.weights) == {"generator", "discriminator"}


def test_cli_train_writes_both_state_dicts_and_metrics(tmp_path, capfd):
    path = tmp_path / "gan.json"
    path.write_text(load_preset("gan_moons").to_json())
    out = tmp_path / "out"
    code = main(
        ["train", str(path), "--epochs", "2", "--out", str(out), "--workspace", str(tmp_path)]
    )
    captured = capfd.readouterr()
    assert code == 0, captured.err
    final = json.loads(captured.out.strip().splitlines()[-1])
    assert final["status"] == "finished" and {"d_loss", "g_loss"} <= set(final)
    assert "Traceback" not in captured.err
    weights = torch.load(out / "weights.pt", weights_only=True)
    assert set(weights) == {"generator", "discriminator"}
    models = trained_models(load_preset("gan_moons"), weights)
    assert models["generator"](torch.zeros(1, 8)).shape == (1, 2)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(rows[0])


@pytest.mark.slow
def test_the_app_worker_runs_a_gan_and_sends_samples_as_arrays(tmp_path):
    from builder.runs.job import RunOptions
    from builder.runs.launch import start_run
    from builder.runs.store import RunStore

    handle = start_run(load_preset("gan_moons"), tmp_path, RunOptions(epochs=2, threads=1))
    events = drain(handle, lambda e: e["type"] in ("done", "error"), 120)
    assert events and events[-1]["type"] == "done", events[-1:]
    samples = of(events, "samples")
    assert [s["epoch"] for s in samples] == [0, 1, 2]
    assert isinstance(samples[-1]["samples"], np.ndarray) and samples[-1]["samples"].shape == (
        256,
        2,
    )
    assert isinstance(of(events, "start")[0]["real"], np.ndarray)
    run = RunStore(tmp_path).get_run(handle.run_id)
    assert run["status"] == "finished"
    assert set(torch.load(run["weights_path"], weights_only=True)) == {"generator", "discriminator"}
