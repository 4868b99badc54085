"""The child process of the import's output check: it limits its own memory, CPU time and file
writes first, then reads an ONNX file and one example batch from stdin, runs the file in
onnxruntime and writes the output as .npy to stdout. Run as a script (`python -I`), it imports
nothing of builder; `onnx_check` starts it and reads what it says."""

from __future__ import annotations

import io
import sys

EXIT_MEMORY = 3  # ran out of the memory it was given
EXIT_FAILED = 2  # onnxruntime refused or failed to run the file


def limit(memory_bytes: int, cpu_seconds: int) -> None:
    """Limits that hold before a byte of the file is read: address space, CPU, no files."""
    import resource  # deferred on purpose: Unix only, and only this process needs it

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run(input_name: str) -> bytes:
    import numpy as np  # deferred on purpose: imported under the limits set before
    import onnxruntime as ort  # deferred on purpose: imported under the limits set before

    stdin = sys.stdin.buffer
    size = int.from_bytes(stdin.read(8), "little")
    model = stdin.read(size)
    example = np.load(io.BytesIO(stdin.read()), allow_pickle=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    output = session.run(None, {input_name: example})[0]
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(output), allow_pickle=False)
    return buffer.getvalue()


def main() -> int:
    try:
        memory, cpu, input_name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
        limit(memory, cpu)
    except (IndexError, ValueError, OSError, ImportError) as exc:  # say what, never a traceback
        sys.stderr.write(f"its process could not be limited ({type(exc).__name__})")
        return EXIT_FAILED
    try:
        result = run(input_name)
    except MemoryError:
        return EXIT_MEMORY
    except Exception as exc:  # onnxruntime's own errors: say the first line, nothing else
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        memory_words = ("bad_alloc", "Failed to allocate", "out of memory")
        if any(word in text for word in memory_words):
            return EXIT_MEMORY
        sys.stderr.write(text[:300])
        return EXIT_FAILED
    sys.stdout.buffer.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
