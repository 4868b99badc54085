"""Opening uploaded design files: a bad file is refused with a message naming the culprit."""

from __future__ import annotations

import json

from builder.design.presets import load_preset
from components.design_io import file_name, read_design


def test_valid_file_opens():
    text = load_preset("lenet_digits").to_json()
    design, error = read_design("lenet.json", text.encode())
    assert error is None and design.name == load_preset("lenet_digits").name


def test_broken_json_names_file_line_and_column():
    design, error = read_design("broken.json", b'{"version": 1,\n "models": {')
    assert design is None
    assert error.startswith("broken.json: not valid JSON at line 2")


def test_not_text_and_too_big_and_wrong_structure():
    assert "not a text file" in read_design("x.json", b"\xff\xfe\x00bad")[1]
    assert "larger than" in read_design("x.json", b" " * 6_000_000)[1]
    assert '"models"' in read_design("x.json", b'{"version": 1, "models": []}')[1]
    _, error = read_design(
        "x.json",
        json.dumps(
            {"version": 1, "models": {"model": {"nodes": [{"id": "a", "type": "Nope"}]}}}
        ).encode(),
    )
    assert "Nope" in error
    assert "nested" in read_design("x.json", b"[" * 100_000)[1]


def test_text_that_looks_like_a_path_is_not_read_from_disk(tmp_path):
    secret = tmp_path / "design.json"
    secret.write_text(load_preset("mlp_moons").to_json())
    design, error = read_design("x.json", str(secret).encode())
    assert design is None and "not valid JSON" in error


def test_file_name_is_safe():
    design = load_preset("mlp_moons")
    assert file_name(design) == "mlp_moons.json"
    from dataclasses import replace

    assert file_name(replace(design, name="../../etc/<x>")) == "etc-x.json"
    assert file_name(replace(design, name="///")) == "design.json"
