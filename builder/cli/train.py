"""`python -m builder train DESIGN`: train headless, with a progress bar on stderr.

Writes OUT/metrics.jsonl (one object per epoch), OUT/health.jsonl (per-layer statistics; not
with --no-health) and OUT/weights.pt, records the run in the workspace's SQLite store, prints
each health alert to stderr when it is raised, and prints one JSON object with the final
metrics and "alerts" as the last line of stdout (also when the run fails: then it holds
"status": "error" and the message).
Exit codes: 0 finished or stopped, 1 the design/data/training failed, 2 unreadable design file,
130 stopped with Ctrl-C (the weights trained so far are saved).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

import torch

from builder.cli.health import AlertWatch, HealthFile
from builder.design.spec import load_design
from builder.errors import DesignError
from builder.params import Param
from builder.runs.job import RunOptions
from builder.runs.launch import ray_executor
from builder.runs.protocol import EventKind, RunStatus, dispatch
from builder.runs.samples_file import SAMPLES_FILE, SamplesFile
from builder.runs.store import RunStore, StoreError, standard_json
from builder.training.control import RunControl
from builder.training.runner import run_loop

EXIT_FAILED = 1
EXIT_UNREADABLE = 2
EXIT_INTERRUPTED = 130
BAR_WIDTH = 24
STEP_EVERY = 5


def _scalar_fields(event: dict) -> dict:
    return {
        k: v
        for k, v in event.items()
        if k != "type" and isinstance(v, int | float | str | bool | type(None))
    }


class Progress:
    """Draws a bar per epoch on a terminal, and one line per epoch everywhere."""

    def __init__(self, stream=sys.stderr, quiet: bool = False):
        self.stream = stream
        self.quiet = quiet
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.epochs = 0
        self._handlers = {
            EventKind.START: self._start,
            EventKind.STEP: self._step,
            EventKind.EPOCH: lambda e: self._line(self._epoch_text(e)),
            EventKind.SAMPLES: self._samples,
            EventKind.STATUS: lambda e: self._line(f"run {e['status']}"),
        }

    def __call__(self, event: dict) -> None:
        if not self.quiet:
            dispatch(self._handlers, event)

    def _start(self, event: dict) -> None:
        self.epochs = event.get("epochs", 0)
        self._line(
            f"training {event.get('params', 0):,} parameters on {event.get('dataset')} "
            f"({event.get('n_train')} train / {event.get('n_val')} validation) "
            f"on {event.get('device')}"
        )

    def _step(self, event: dict) -> None:
        if not self.tty:
            return
        done = event["batch"] / max(event["batches"], 1)
        fill = int(done * BAR_WIDTH)
        bar = "#" * fill + "." * (BAR_WIDTH - fill)
        losses = "  ".join(
            f"{k} {event[k]:.4f}" for k in ("loss", "d_loss", "g_loss") if k in event
        )
        self.stream.write(f"\repoch {event['epoch']}/{self.epochs} [{bar}] {losses}")
        self.stream.flush()

    def _samples(self, event: dict) -> None:
        if event.get("kind") != "text":
            return  # a generator's samples are kept in the samples file, not printed
        self._line(f"samples after epoch {event['epoch']}:")  # a language model's lines
        for line in event["samples"]:
            self._line("  " + repr(str(line)))

    def _epoch_text(self, e: dict) -> str:
        parts = [f"epoch {e['epoch']}/{e.get('epochs', self.epochs)}"]
        for key in ("train_loss", "val_loss", "d_loss", "g_loss"):
            if isinstance(e.get(key), float):
                parts.append(f"{key} {e[key]:.4f}")
        if isinstance(e.get("val_perplexity"), float):
            parts.append(f"val_perplexity {e['val_perplexity']:.2f}")
        if isinstance(e.get("val_accuracy"), float):
            parts.append(f"val_accuracy {e['val_accuracy']:.2%}")
        if e.get("samples_per_sec"):
            parts.append(f"{e['samples_per_sec']:,.0f} samples/s")
        return "  ".join(parts)

    def _line(self, text: str) -> None:
        clear = "\r\033[K" if self.tty else ""
        self.stream.write(f"{clear}{text}\n")
        self.stream.flush()


class MetricsFile:
    """OUT/metrics.jsonl: one line per finished epoch, flushed as it happens."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("w", encoding="utf-8")

    def __call__(self, event: dict) -> None:
        dispatch({EventKind.EPOCH: self._write}, event)

    def _write(self, event: dict) -> None:
        self.handle.write(standard_json(_scalar_fields(event)) + "\n")
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def train_command(args) -> int:
    started = time.perf_counter()
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    try:
        design = load_design(args.design)
    except DesignError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(json.dumps({"status": "error", "error": str(exc)}))
        return EXIT_UNREADABLE
    if getattr(args, "executor", "local") == "ray":
        return _train_on_ray(args, design, started)
    try:
        store = RunStore(args.workspace)
        if store.set_aside:
            print(f"note: the run store was unreadable; kept as {store.set_aside}", file=sys.stderr)
        run_id = store.create_run(design, out_dir=args.out)
        out = Path(args.out) if args.out else store.run_dir(run_id)
        metrics = MetricsFile(out / "metrics.jsonl")
        health = None if args.no_health else HealthFile(out / "health.jsonl")
    except (StoreError, OSError) as exc:
        message = (
            str(exc)
            if isinstance(exc, StoreError)
            else f"cannot write {exc.filename}: {exc.strerror}"
        )
        print(f"error: {message}", file=sys.stderr)
        print(json.dumps({"status": "error", "error": message}))
        return EXIT_FAILED
    ended: dict = {}
    alerts = AlertWatch(quiet=args.quiet)
    sinks = [store.sink(run_id), metrics, Progress(quiet=args.quiet), alerts, _last_word(ended)]
    control = RunControl([*sinks, *([health] if health else [])], step_every=STEP_EVERY)
    control.add_sink(SamplesFile(out / SAMPLES_FILE))  # a GAN's, at its end
    interrupted = []

    def on_sigint(signum, frame):
        if interrupted:  # a second Ctrl-C: leave now
            raise KeyboardInterrupt
        interrupted.append(True)
        print("\nstopping after this step (Ctrl-C again to quit at once)", file=sys.stderr)
        control.stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        run_loop(
            None,
            design,
            control,
            out_dir=out,
            epochs=args.epochs,
            seed=args.seed,
            device=args.device,
            health_every=0 if args.no_health else None,
            **({"initial_weights": args.weights} if args.weights else {}),
        )
    finally:
        signal.signal(signal.SIGINT, previous)
        metrics.close()
        if health:
            health.close()
    return _summary(ended, run_id, out, started, bool(interrupted), alerts.summary())


def _train_on_ray(args, design, started: float) -> int:
    """The same training as an actor on the Ray cluster at $NETBUILDER_RAY_ADDRESS; the store,
    metrics file and weights stay on this machine."""
    try:
        options = RunOptions(
            epochs=args.epochs,
            seed=args.seed,
            step_every=STEP_EVERY,
            threads=args.threads,
            initial_weights=args.weights,
            out_dir=args.out,
            device=args.device,
        )
        handle = ray_executor().start(design, args.workspace, options)
        metrics = MetricsFile(handle.out_dir / "metrics.jsonl")
    except (ImportError, ConnectionError, ValueError, OSError) as exc:  # no Ray, unreachable...
        message = str(exc)
        if isinstance(exc, OSError) and exc.filename:
            message = f"cannot write {exc.filename}: {exc.strerror}"
        print(f"error: {message}", file=sys.stderr)
        print(json.dumps({"status": "error", "error": message}))
        return EXIT_FAILED
    ended: dict = {}
    alerts = AlertWatch(quiet=args.quiet)
    sinks = (metrics, Progress(quiet=args.quiet), alerts, _last_word(ended))
    interrupted = []

    def on_sigint(signum, frame):
        if interrupted:  # a second Ctrl-C: leave now (the cluster ends the run with us)
            raise KeyboardInterrupt
        interrupted.append(True)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        stopping = False
        while True:
            alive = handle.alive  # read first: every event is queued before it turns False
            for event in handle.poll():
                for sink in sinks:
                    sink(event)
            if not alive:
                break
            if interrupted and not stopping:
                stopping = True
                print("\nstopping after this step (Ctrl-C again to quit at once)", file=sys.stderr)
                handle.stop(timeout=30)
            time.sleep(0.05)
    finally:
        signal.signal(signal.SIGINT, previous)
        metrics.close()
    return _summary(
        ended, handle.run_id, handle.out_dir, started, bool(interrupted), alerts.summary()
    )


def _last_word(into: dict):
    """A sink that keeps the run's last event (done or error) in `into`."""
    handlers = {EventKind.DONE: into.update, EventKind.ERROR: into.update}
    return lambda event: dispatch(handlers, event)


def _summary(
    ended: dict, run_id: int, out: Path, started: float, interrupted: bool, alerts: list[dict]
) -> int:
    """Print the run's summary as the last line of stdout; returns the exit code."""
    summary = {"status": ended.get("status", RunStatus.ERROR), "run_id": run_id, "out": str(out)}
    summary["alerts"] = alerts
    if ended.get("type") == EventKind.ERROR or ended.get("status") == RunStatus.INTERRUPTED:
        message = ended.get("message") or ended.get("note")
        print(f"error: {message}", file=sys.stderr)
        summary["error"] = message
        print(json.dumps(summary))
        return EXIT_FAILED
    final = dict(ended.get("final") or {})
    summary.update(final)
    summary["weights"] = ended.get("weights_path")
    summary["seconds"] = round(time.perf_counter() - started, 3)
    print(standard_json(summary))
    return EXIT_INTERRUPTED if interrupted else 0


def add_train_command(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a design on its data set, headless",
        description=__doc__,
    )
    p.add_argument("design", help="design JSON file")
    p.add_argument("--epochs", type=_int_at_least(1), default=None, help="override training.epochs")
    p.add_argument("--seed", type=_int_at_least(0), default=None, help="override training.seed")
    p.add_argument("--out", default=None, help="output folder (default: WORKSPACE/runs/<run id>)")
    p.add_argument(
        "--workspace",
        default=None,
        help="workspace folder (default: $NETBUILDER_WORKSPACE or ./workspace)",
    )
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument(
        "--weights", default=None, help="a state_dict to start from (e.g. an imported model's)"
    )
    p.add_argument(
        "--threads",
        type=_int_at_least(1),
        default=None,
        help="torch CPU threads (default: torch's)",
    )
    p.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where it trains: this process, or the Ray cluster at $NETBUILDER_RAY_ADDRESS "
        '(pip install "netbuilder[ray]")',
    )
    p.add_argument("--quiet", action="store_true", help="no progress or alerts on stderr")
    p.add_argument(
        "--no-health", action="store_true", help="record no health statistics (OUT/health.jsonl)"
    )
    p.set_defaults(func=train_command)


def _int_at_least(low: int):
    """An argparse type: a whole number >= low, read as the app and design files read one
    (1e3 is 1000, a fraction is refused), with a readable complaint."""
    declared = Param("value", "int", low, "", min=low)

    def parse(text: str) -> int:
        value, reason = declared.number_from(text)
        if reason is None and value < low:
            reason = f"must be {low} or more, got {value}"
        if reason:
            raise argparse.ArgumentTypeError(reason)
        return value

    return parse
