"""The exported ZIP's README runs captum's explanations on the exported model, as written."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import torch

from builder.codegen.model_source import build_model
from builder.design.presets import load_preset
from builder.export.bundle import bundle_files


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lenet_digits", "transformer_text"])
def test_the_readme_explanation_runs_on_the_exported_model(tmp_path, name):
    design = load_preset(name)
    weights = tmp_path / "trained.pt"
    torch.save(build_model(design).state_dict(), weights)
    files = bundle_files(design, weights_path=weights)
    for file_name, data in files.items():
        if "/" not in file_name:
            (tmp_path / file_name).write_bytes(data)
    readme = files["README.md"].decode()
    section = readme.split("## Explain a prediction (captum)", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "explain.py").write_text(code)
    done = subprocess.run([sys.executable, "explain.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "LayerGradCam" in code if name == "lenet_digits" else "LayerIntegratedGradients" in code


def test_a_gan_gets_no_explanation_section():
    readme = bundle_files(load_preset("gan_moons"))["README.md"].decode()
    assert "captum" not in readme
