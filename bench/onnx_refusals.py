"""How fast hostile ONNX files are refused, and what the output check's separate process costs
a real import.

    python bench/onnx_refusals.py

Prints one JSON object per line: each hostile file's size, the seconds and the peak Python heap
its refusal took; then a small real model imported with its output check.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builder.importers.from_onnx import import_onnx  # noqa: E402
from builder.importers.graph import ImportRefused  # noqa: E402
from tests.hostile import onnx_bombs as bombs  # noqa: E402
from tests.hostile import onnx_corpus as corpus  # noqa: E402


def refusal(name: str, data: bytes) -> dict:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        import_onnx(data)
        refused = False
    except ImportRefused:
        refused = True
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "bench": "onnx_refusal",
        "file": name,
        "bytes": len(data),
        "refused": refused,
        "seconds": round(seconds, 4),
        "peak_heap_mb": round(peak / 2**20, 2),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        location = str(Path(folder) / "secret.bin")
        for maker in corpus.EXTERNAL_PLACES:
            print(json.dumps(refusal(maker.__name__, maker(location))))
    for maker in bombs.FOLDING_BOMBS:
        print(json.dumps(refusal(maker.__name__, maker())))
    for maker in bombs.MISMATCHES:
        print(json.dumps(refusal(maker.__name__, maker())))
    module = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (torch.randn(2, 64),), buffer, dynamo=False)
    started = time.perf_counter()
    _, _, diff = import_onnx(buffer.getvalue())
    print(json.dumps({
        "bench": "onnx_import_with_output_check",
        "seconds": round(time.perf_counter() - started, 3),
        "max_difference": diff,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
