"""The import tests' models (tests/builder/import_models.py), made with trained-looking
statistics, and saved as a person's ONNX file would be."""

from __future__ import annotations

import io
import warnings

import torch

from tests.builder import import_models as models

MODELS = {
    "lenet5": (models.LeNet5, [1, 28, 28]),
    "residual": (models.ResidualCNN, [1, 8, 8]),
    "two_branch": (models.TwoBranch, [4]),
    "gru_lstm": (models.GruLstm, [7, 3]),
    "norm_leaky": (models.NormLeaky, [6]),
}


def made(name):
    cls, shape = MODELS[name]
    torch.manual_seed(1)
    module = cls()
    for m in module.modules():  # trained-looking statistics, so BatchNorm is really tested
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2.0)
    return module.eval(), shape


def onnx_bytes(module, shape) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, (torch.randn(2, *shape),), buffer, dynamo=False, opset_version=17,
            input_names=["input"], output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )  # fmt: skip
    return buffer.getvalue()
