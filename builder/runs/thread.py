"""A training in a background thread of this process, for notebooks and the CLI.

The app never uses it (it trains in its own process, builder.runs.worker); it has the same
surface as the worker's RunHandle: poll, pause, resume, stop, join, alive.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from builder.runs.events import drain
from builder.runs.samples_file import SAMPLES_FILE, SamplesFile
from builder.training.control import LoopResult, RunControl
from builder.training.runner import run_loop


class ThreadRun:
    def __init__(self, design, loop=None, *, out_dir=None, step_every: int = 10, **kwargs):
        self._queue: queue.Queue = queue.Queue()
        self.control = RunControl([self._queue.put], step_every=step_every)
        if out_dir is not None:
            self.control.add_sink(SamplesFile(Path(out_dir) / SAMPLES_FILE))
        self.result: LoopResult | None = None

        def target():
            self.result = run_loop(loop, design, self.control, out_dir=out_dir, **kwargs)

        self._thread = threading.Thread(target=target, name="netbuilder-train", daemon=True)
        self._thread.start()

    def poll(self) -> list[dict]:
        return drain(self._queue)

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self, timeout: float | None = None) -> None:
        self.control.stop()
        if timeout is not None:
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
