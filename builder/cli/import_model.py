"""`python -m builder import SOURCE -o design.json`: a PyTorch class or an ONNX file as a design.

SOURCE is FILE.py:CLASS (built with no arguments, traced with torch.fx; give --input-shape and,
to keep trained weights, --weights W.pt) or FILE.onnx (its shapes and weights are in the file).
--weights-out writes the imported design's state_dict, to train or look inside from there.
Exit codes: 0 imported, 1 refused (every reason is listed), 2 unreadable arguments.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from builder.importers.from_onnx import import_onnx
from builder.importers.from_torch import import_module
from builder.importers.graph import ImportRefused
from builder.importers.user_code import build_instance, load_class

EXIT_REFUSED = 1
EXIT_USAGE = 2


def _shape(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        shape = [int(v) for v in text.replace("[", "").replace("]", "").split(",") if v.strip()]
    except ValueError:
        return None
    return shape if shape and all(v > 0 for v in shape) else None


def import_command(args) -> int:
    started = time.perf_counter()
    try:
        if args.source.lower().endswith(".onnx"):
            path = Path(args.source)
            if not path.is_file():
                print(f"error: {path}: no such file", file=sys.stderr)
                return EXIT_USAGE
            if args.weights:
                print("error: an ONNX file holds its own weights; drop --weights", file=sys.stderr)
                return EXIT_USAGE
            design, weights, diff = import_onnx(path.read_bytes(), path.stem)
        else:
            shape = _shape(args.input_shape)
            if shape is None:
                print("error: give the sample shape, e.g. --input-shape 1,28,28", file=sys.stderr)
                return EXIT_USAGE
            cls = load_class(args.source)
            module = build_instance(cls, args.weights)
            design, weights, diff = import_module(module, shape, cls.__name__)
    except ImportRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(design.to_json() + "\n", encoding="utf-8")
    if args.weights_out:
        torch.save(weights, args.weights_out)
    nodes = len(design.models["model"].nodes)
    print(f"{out}: {nodes} nodes; outputs match the original (max difference {diff:.2g}); "
          f"{time.perf_counter() - started:.2f} s")  # fmt: skip
    return 0


def add_import_command(subparsers) -> None:
    p = subparsers.add_parser(
        "import", help="a PyTorch class or an ONNX file as a design", description=__doc__
    )
    p.add_argument("source", help="FILE.py:CLASS or FILE.onnx")
    p.add_argument("-o", "--out", required=True, help="design JSON to write")
    p.add_argument(
        "--input-shape", default=None, help="sample shape without the batch, e.g. 1,28,28"
    )
    p.add_argument("--weights", default=None, help="a state_dict to load into CLASS first")
    p.add_argument("--weights-out", default=None, help="write the imported design's state_dict")
    p.set_defaults(func=import_command)
