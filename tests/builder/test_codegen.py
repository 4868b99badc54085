"""The compiled model equals hand-written PyTorch, and the exported file equals what trained."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
import torch
from torch import nn

import builder
from builder.codegen.names import literal
from builder.design.presets import load_preset
from builder.export.files import export_design
from tests.builder.helpers import chain_design, graph_design


def same_outputs(compiled: nn.Module, hand: nn.Module, x: torch.Tensor) -> None:
    """Copy the compiled weights into the hand-written net (in order) and compare outputs."""
    ours, theirs = compiled.state_dict(), hand.state_dict()
    assert [v.shape for v in ours.values()] == [v.shape for v in theirs.values()]
    hand.load_state_dict(dict(zip(theirs, ours.values(), strict=True)))
    compiled.eval(), hand.eval()
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), hand(x))


def test_lenet_equals_hand_written():
    compiled = builder.build_model(load_preset("lenet_digits"))
    hand = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(64, 10),
    )
    same_outputs(compiled, hand, torch.randn(5, 1, 8, 8))


class HandResidual(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1)
        self.conv1 = nn.Conv2d(16, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.head = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        s = torch.relu(self.stem(x))
        y = self.conv2(torch.relu(self.conv1(s)))
        y = torch.max_pool2d(torch.relu(y + s), 2)
        return self.head(y.flatten(1))


def test_residual_block_equals_hand_written():
    compiled = builder.build_model(load_preset("residual_cnn_digits"))
    same_outputs(compiled, HandResidual(), torch.randn(4, 1, 8, 8))


class HandStacked(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.rnn1 = cell(3, 16, num_layers=2, batch_first=True)
        self.rnn2 = cell(16, 8, batch_first=True, bidirectional=True)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        y, _ = self.rnn1(x)
        y, _ = self.rnn2(y)
        return self.head(y[:, -1])


def test_stacked_lstm_and_gru_equal_hand_written():
    for cell, name in ((nn.LSTM, "LSTM"), (nn.GRU, "GRU")):
        design = chain_design(
            ("seq", "Input", {"shape": [12, 3]}),
            ("rnn1", name, {"hidden_size": 16, "num_layers": 2}),
            ("rnn2", name, {"hidden_size": 8, "bidirectional": True, "return_sequences": False}),
            ("head", "Dense", {"out_features": 4}),
        )
        compiled = builder.build_model(design)
        assert list(compiled.state_dict()) == list(HandStacked(cell).state_dict())
        same_outputs(compiled, HandStacked(cell), torch.randn(3, 12, 3))


def load_module(path):
    spec = importlib.util.spec_from_file_location("exported_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exported_model_file_is_the_compiled_model(tmp_path):
    design = load_preset("residual_cnn_digits")
    export_design(design, tmp_path)
    assert (tmp_path / "model.py").read_text() == builder.generate_code(design)
    assert builder.load_design(tmp_path / "design.json").to_dict() == design.to_dict()
    compiled = builder.build_model(design).eval()
    exported = load_module(tmp_path / "model.py").Model().eval()
    assert list(exported.state_dict()) == list(compiled.state_dict())
    exported.load_state_dict(compiled.state_dict())
    x = torch.randn(6, 1, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(exported(x), compiled(x))
    run = subprocess.run(
        [sys.executable, str(tmp_path / "model.py")], capture_output=True, text=True
    )
    assert run.returncode == 0 and "output shape: (2, 10)" in run.stdout


def test_gan_design_has_two_classes():
    code = builder.generate_code(load_preset("dcgan_digits"))
    assert "class Generator(nn.Module)" in code and "class Discriminator(nn.Module)" in code
    gen = builder.build_model(load_preset("dcgan_digits"), "generator")
    assert gen(torch.randn(2, 32)).shape == (2, 1, 8, 8)


def test_forward_is_straight_line_with_shape_comments():
    code = builder.generate_code(load_preset("lenet_digits"))
    assert "        conv1 = self.conv1_act(self.conv1(input))  # [16, 8, 8]" in code
    assert "        flatten = self.flatten(pool2)  # [128]" in code
    model = builder.build_model(load_preset("lenet_digits"))
    assert model.NODE_MODULES["conv1"] == "conv1_act"
    assert set(model.NODE_MODULES) == {
        n.id for n in load_preset("lenet_digits").models["model"].nodes
    } - {"input"}


HOSTILE = 'x = 1\nimport os; os.system("touch PWNED")\n#'


@pytest.mark.slow
def test_hostile_node_ids_never_become_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    design = graph_design(
        [
            (HOSTILE, "Input", {"shape": [4]}),
            ('"""; import os #', "Dense", {"out_features": 3}),
            ("forward", "Dense", {"out_features": 3}),
            ("self", "Dense", {"out_features": 3}),
            ("class", "Add", {}),
            ("\u2028\r\x0bé", "Dense", {"out_features": 2}),
        ],
        [
            (HOSTILE, '"""; import os #'),
            (HOSTILE, "forward"),
            ('"""; import os #', "class"),
            ("forward", "self"),
            ("self", "class"),
            ("class", "\u2028\r\x0bé"),
        ],
    )
    code = builder.generate_code(design)
    model = builder.build_model(design)
    assert model(torch.randn(2, 4)).shape == (2, 2)
    assert set(model.NODE_MODULES) == {
        '"""; import os #',
        "forward",
        "self",
        "class",
        "\u2028\r\x0bé",
    }
    export_design(design, tmp_path / "out")
    check = subprocess.run(
        [sys.executable, "-m", "builder", "check", str(tmp_path / "out" / "design.json")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert check.returncode == 0, check.stderr
    assert literal(HOSTILE) in check.stdout
    load_module(tmp_path / "out" / "model.py")
    run = subprocess.run(
        [sys.executable, str(tmp_path / "out" / "model.py")], capture_output=True, cwd=tmp_path
    )
    assert run.returncode == 0
    assert not (tmp_path / "PWNED").exists()
    assert all(line.isascii() for line in code.splitlines())
    assert "import os" not in [line.strip() for line in code.splitlines()]
