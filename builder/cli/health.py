"""What `builder train` does with health: OUT/health.jsonl, alerts on stderr as they are raised,
and `python -m builder lr-find DESIGN` (one JSON line with suggested_lr, lrs and losses)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from builder.design.spec import load_design
from builder.introspect.health_alerts import Alert, classes_of, find_alerts
from builder.runs.protocol import EventKind, dispatch
from builder.runs.store import standard_json
from builder.training.control import error_message
from builder.training.lr_find import find_learning_rate

EXIT_FAILED = 1


class HealthFile:
    """OUT/health.jsonl: one line per health record, as train.py's own script writes it."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("w", encoding="utf-8")

        self.handlers = {EventKind.HEALTH: self.write}

    def __call__(self, event: dict) -> None:
        dispatch(self.handlers, event)

    def write(self, event: dict) -> None:
        self.handle.write(standard_json({k: v for k, v in event.items() if k != "type"}))
        self.handle.write("\n")
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


class AlertWatch:
    """Reads the run's health records and epochs; after each epoch (and when the run fails)
    prints every alert not printed before to `stream`. `alerts` holds them all, in order."""

    def __init__(self, stream=sys.stderr, quiet: bool = False):
        self.stream = stream
        self.quiet = quiet
        self.start: dict = {}
        self.records: list[dict] = []
        self.epochs: list[dict] = []
        self.alerts: list[Alert] = []
        self.handlers = {
            EventKind.START: self._started,
            EventKind.HEALTH: self.records.append,
            EventKind.EPOCH: self._epoch,
            EventKind.ERROR: lambda event: self._check(),
            EventKind.DONE: lambda event: self._check(),
        }

    def __call__(self, event: dict) -> None:
        dispatch(self.handlers, event)

    def _started(self, event: dict) -> None:
        self.start = event

    def _epoch(self, event: dict) -> None:
        self.epochs.append(event)
        self._check()

    def _check(self) -> None:
        classes = classes_of(self.start, self.epochs)
        known = {(a.kind, a.node) for a in self.alerts}
        for alert in find_alerts(self.records, self.epochs, classes):
            if (alert.kind, alert.node) in known:
                continue
            self.alerts.append(alert)
            if not self.quiet:
                self.stream.write(f"alert {alert.kind} at {alert.node}: {alert.message}\n")
                self.stream.flush()

    def summary(self) -> list[dict]:
        return [a.to_dict() for a in self.alerts]


def lr_find_command(args) -> int:
    try:
        design = load_design(args.design)
        found = find_learning_rate(
            design, seed=args.seed, device=args.device, data_root=args.data_root
        )
    except Exception as exc:  # one JSON line whatever happens, the reason on stderr
        message = error_message(exc)
        print(f"error: {message}", file=sys.stderr)
        print(json.dumps({"status": "error", "error": message}))
        return EXIT_FAILED
    print(standard_json(found))
    return 0


def add_lr_find_command(subparsers) -> None:
    p = subparsers.add_parser(
        "lr-find",
        help="find a learning rate for a design (range test)",
        description="Raise the learning rate from 1e-7 to 10 over about 100 steps from the "
        "design's initial weights and print one JSON line: suggested_lr, lrs, losses.",
    )
    p.add_argument("design", help="design JSON file")
    p.add_argument("--seed", type=int, default=None, help="override training.seed")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument(
        "--data-root", default=None, help="refuse a data file outside this folder (the app's)"
    )
    p.set_defaults(func=lr_find_command)
