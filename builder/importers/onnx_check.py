"""The import's output check: the ONNX file's own output for a random batch, computed by
onnxruntime in a child process limited in memory, CPU time and file writes (`onnx_sandbox`), and
compared with the mapped design's. The file reaches the child only after every node in it is one
the mapper knows and every folded size is bounded; the child never sees a path on disk."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from builder.design.shapes import analyze, sample_memory_limit
from builder.importers import onnx_sandbox
from builder.importers.graph import ImportRefused, output_difference

CHECK_SECONDS = 60
MEMORY_BASE = 768 * 2**20  # Python, numpy and onnxruntime themselves, with room to spare
MEMORY_PER_FILE_BYTE = 3  # the file as read, onnxruntime's copy of its weights, and working room
CHECK_SAMPLES = 2  # the check's batch may take what two samples at the design's limit take
TOLERANCE = 1e-4  # relative to the output's size, at least absolute


def memory_limit(data: bytes, activations: int = 0) -> int:
    return MEMORY_BASE + MEMORY_PER_FILE_BYTE * len(data) + 2 * activations


def onnxruntime_output(
    data: bytes, input_name: str, example: np.ndarray, activations: int = 0
) -> np.ndarray:
    """The file's output for `example`, from the limited child process, or a refusal.
    `activations`: bytes the design's own forward pass of that batch takes, room the file gets."""
    limit = memory_limit(data, activations)
    buffer = io.BytesIO()
    np.save(buffer, example, allow_pickle=False)
    message = len(data).to_bytes(8, "little") + data + buffer.getvalue()
    command = [
        sys.executable,
        "-I",  # no user site, no PYTHON* variables, no script folder on the path
        str(Path(onnx_sandbox.__file__)),
        str(limit),
        str(CHECK_SECONDS),
        input_name,
    ]
    threads = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **threads}
    with tempfile.TemporaryDirectory(prefix="netbuilder-onnx-check-") as empty:
        try:  # an empty working folder: even a relative path in the file finds nothing
            done = subprocess.run(
                command, input=message, capture_output=True, cwd=empty, env=env,
                timeout=CHECK_SECONDS + 5,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise ImportRefused(
                [f"checking its outputs in onnxruntime took over {CHECK_SECONDS} s; stopped"]
            ) from None
        except OSError as exc:  # no process could be started (limits of the server itself)
            raise ImportRefused(
                [f"the check of its outputs could not start ({type(exc).__name__})"]
            ) from None
    over = (
        f"checking its outputs in onnxruntime needed more than {limit / 2**20:,.0f} MiB of "
        f"memory or {CHECK_SECONDS} s of CPU; stopped"
    )
    if done.returncode == onnx_sandbox.EXIT_MEMORY or done.returncode < 0:
        raise ImportRefused([over])
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        said = said[0][:300] if said else f"exit {done.returncode}"  # its first line only
        raise ImportRefused([f"onnxruntime could not run it to check its outputs: {said}"])
    try:
        return np.load(io.BytesIO(done.stdout), allow_pickle=False)
    except ValueError:
        raise ImportRefused(["onnxruntime gave no readable output to check"]) from None


def checked_difference(design, weights, data: bytes, input_name, example_shape, output_name):
    """Largest difference between the design's outputs and the file's for a random batch of
    `example_shape` (the batch folded sizes were bounded for); a refusal naming the output when
    they differ."""
    batch = example_shape[0]
    activations = analyze(design).sample_bytes * batch
    if activations > CHECK_SAMPLES * sample_memory_limit():
        raise ImportRefused(
            [
                f"input {input_name!r} fixes the batch at {batch}: checking its outputs would "
                f"take {activations / 2**20:,.0f} MiB of activations; export it with a dynamic "
                "batch"
            ]
        )
    example = np.random.default_rng(0).standard_normal(example_shape).astype(np.float32)
    expected = onnxruntime_output(data, input_name, example, activations)
    diff = output_difference(design, weights, example, expected)
    scale = float(np.abs(expected).max()) if expected.size and np.isfinite(expected).all() else 1.0
    allowed = TOLERANCE * max(1.0, scale)
    if not diff <= allowed:
        raise ImportRefused(
            [
                f"output {output_name!r}: the mapped design's outputs differ from the file's by "
                f"{diff:.3g} (at most {allowed:.1g} allowed), so the mapping is not faithful"
            ]
        )
    return diff
