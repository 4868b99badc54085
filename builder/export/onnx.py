"""ONNX export of a trained model, checked by running it in onnxruntime against PyTorch.

onnx and onnxruntime are dependencies; `onnx_missing` still says so when an install lacks them.
Without onnx there is no export; without onnxruntime the file is written but not checked, and
the result says so.  For a GAN the generator is exported (noise in, sample out).
"""

from __future__ import annotations

import importlib.util
import io
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from builder.design.spec import load_design
from builder.introspect.trained import trained_models

OPSET = 17
RTOL, ATOL = 1e-3, 1e-4
CHECK_BATCH = 4


@dataclass
class OnnxResult:
    """The exported bytes (None when it could not be made) and what the check found."""

    data: bytes | None
    model: str
    file_name: str
    verified: bool
    max_abs_diff: float | None
    note: str


def onnx_missing() -> str | None:
    """Why ONNX export is unavailable here, or None when it is."""
    missing = [m for m in ("onnx",) if importlib.util.find_spec(m) is None]
    if missing:
        return (
            "ONNX export needs the onnx package, which is not installed: "
            'pip install "netbuilder[onnx]" (onnx and onnxruntime)'
        )
    return None


def _export(module: torch.nn.Module, example: torch.Tensor) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        torch.onnx.export(
            module,
            (example,),
            buffer,
            dynamo=False,
            opset_version=OPSET,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )
    return buffer.getvalue()


def export_onnx(design, weights=None, *, seed: int = 0) -> OnnxResult:
    """The design's trained model as ONNX bytes, run in onnxruntime and compared with PyTorch.

    `weights` is a state_dict (or a path to one); None exports the freshly initialised model.
    Never raises for an export that fails: the result's note says why.
    """
    design = load_design(design)
    name = "generator" if design.is_gan else "model"
    file_name = f"{name}.onnx"
    why = onnx_missing()
    if why:
        return OnnxResult(None, name, file_name, False, None, why)
    torch.manual_seed(seed)
    module = trained_models(design, weights)[name]
    input_shape = [int(s) for s in module.INPUT_SHAPE]
    draw = torch.Generator().manual_seed(seed)
    tokens = getattr(module, "INPUT_TOKENS", None)
    if tokens:  # a text model reads token ids
        example = torch.randint(0, tokens, (CHECK_BATCH, *input_shape), generator=draw)
    else:
        example = torch.randn(CHECK_BATCH, *input_shape, generator=draw)
    try:
        data = _export(module, example)
    except Exception as exc:  # an operator ONNX cannot express, an exporter bug
        return OnnxResult(
            None, name, file_name, False, None, f"ONNX export of {name!r} failed: {exc}"
        )
    if importlib.util.find_spec("onnxruntime") is None:
        return OnnxResult(
            data,
            name,
            file_name,
            False,
            None,
            "exported, but not checked: onnxruntime is not installed "
            '(pip install "netbuilder[onnx]")',
        )
    import onnxruntime  # deferred on purpose: an optional extra, and slow to import

    try:
        session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
        got = session.run(None, {"input": example.numpy()})[0]
    except Exception as exc:
        return OnnxResult(data, name, file_name, False, None, f"onnxruntime cannot run it: {exc}")
    with torch.no_grad():
        want = module(example).numpy()
    diff = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("inf")
    ok = got.shape == want.shape and np.allclose(got, want, rtol=RTOL, atol=ATOL)
    if ok:
        note = (
            f"checked: onnxruntime matches PyTorch on {CHECK_BATCH} random inputs "
            f"(largest difference {diff:.2g})"
        )
    else:
        note = (
            f"onnxruntime's outputs differ from PyTorch's (largest difference {diff:.3g}, "
            f"shapes {list(got.shape)} vs {list(want.shape)}): do not rely on this file"
        )
    return OnnxResult(data, name, file_name, ok, diff, note)
