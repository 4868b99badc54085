"""Import time: a 100-layer PyTorch model through torch.fx, and the same model through ONNX.

    python bench/import_model.py [--tiny]

Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builder.importers.from_onnx import import_onnx  # noqa: E402
from builder.importers.from_torch import import_module  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="every part at its smallest: the script runs, its figures mean nothing",
    )
    args = parser.parse_args()
    layers = []
    for _ in range(2 if args.tiny else 50):
        layers += [torch.nn.Linear(64, 64), torch.nn.ReLU()]
    module = torch.nn.Sequential(*layers).eval()
    start = time.perf_counter()
    design, _, diff = import_module(module, [64])
    fx_s = time.perf_counter() - start
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.randn(2, 64),), buffer, dynamo=False, opset_version=17)
    start = time.perf_counter()
    again, _, onnx_diff = import_onnx(buffer.getvalue())
    onnx_s = time.perf_counter() - start
    print(json.dumps({
        "bench": f"import_{len(layers)}_layers",
        "layers": len(layers),
        "design_nodes": len(design.models["model"].nodes),
        "torch_fx_s": round(fx_s, 3),
        "onnx_s": round(onnx_s, 3),
        "max_difference": max(diff, onnx_diff or 0.0),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
