"""Before Train: what does not fit is said per control; uploads are checked before they are kept."""

from __future__ import annotations

import pytest

from builder.data import DataError, load_for_design
from builder.data.uploads import dataset_setting, read_upload, save_upload, upload_kind
from builder.design.presets import load_preset
from builder.training.preflight import training_problems


def _problems(design):
    return training_problems(design, load_for_design(design))


@pytest.mark.parametrize(
    "preset",
    [
        "lenet_digits", "mlp_moons", "lstm_sine", "gru_waves", "mlp_gan_digits", "gan_moons",
        "transformer_text", "lstm_text", "text_pages_classifier",
    ],
)  # fmt: skip
def test_presets_are_ready_to_train(preset):
    assert _problems(load_preset(preset)) == {}


def test_class_count_and_input_shape_are_explained_at_the_data_set():
    found = _problems(load_preset("lenet_digits").with_training(dataset="spirals"))
    assert set(found) == {"dataset"}
    text = " ".join(found["dataset"])
    assert "[2]" in text and "[1, 8, 8]" in text  # both shapes
    assert "3 classes" in text and "[10]" in text  # class count vs output size


def test_loss_that_does_not_fit_the_task_is_explained_at_the_loss():
    found = _problems(load_preset("lenet_digits").with_training(loss="mse"))
    assert list(found) == ["loss"]
    assert "classification" in found["loss"][0]


def test_gan_task_on_a_plain_model_is_explained_at_the_task():
    found = training_problems(load_preset("lenet_digits").with_training(task="gan", loss="bce"))
    assert "generator" in found["task"][0]


def test_a_data_set_that_cannot_be_read_is_explained_at_the_data_set():
    design = load_preset("mlp_moons")
    found = training_problems(design, None, "points.csv, row 3: 'x' is not a number")
    assert found == {"dataset": ["points.csv, row 3: 'x' is not a number"]}


def test_nesterov_without_momentum_is_explained_at_the_optimizer():
    design = load_preset("mlp_moons").with_training(
        optimizer={"type": "sgd", "lr": 0.1, "nesterov": True}
    )
    assert "momentum" in _problems(design)["optimizer"][0]


def test_broken_csv_is_refused_with_the_row_and_column(tmp_path):
    with pytest.raises(DataError, match=r"row 3, column 'b'"):
        read_upload("bad.csv", b"a,b,label\n1,2,x\n3,oops,y\n")
    assert not (tmp_path / "data").exists()


def test_unknown_file_type_is_refused():
    with pytest.raises(DataError, match="unsupported file type"):
        upload_kind("notes.docx")


def test_a_good_upload_is_kept_in_the_workspace_under_a_content_name(tmp_path):
    raw = b"a,b,label\n" + b"".join(
        b"%d,%d,%s\n" % (i, i % 3, b"xy"[i % 2 : i % 2 + 1]) for i in range(30)
    )
    ds = read_upload("my data.csv", raw)
    assert ds.sample_shape == [2] and ds.class_names == ["x", "y"]
    path = save_upload("my data.csv", raw, tmp_path)
    assert path.parent == tmp_path / "data" and path.read_bytes() == raw
    assert save_upload("my data.csv", raw, tmp_path) == path  # same bytes, same file
    other = save_upload("my data.csv", raw + b"99,1,x\n", tmp_path)
    assert other != path and path.read_bytes() == raw
    # Only the file name: the whole path would name the person's folder wherever a design goes.
    assert dataset_setting("my data.csv", path) == {"type": "csv", "path": path.name}
