"""Alerts over a run's health records: each kind is one small declaration (a condition over the
statistics train.py recorded, the words it says, and the fixes that answer it), and each alert
names the node it is about.

`find_alerts(records, epochs, classes)` reads the records (builder/codegen/templates/health.py
writes them), the per-epoch metrics and the number of classes (or tokens) the model chooses
among; it is a pure function, so a run read back from the store shows the same alerts it raised
while it trained. The fixes are ids of builder.design.health_fixes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

VANISHING_RATIO = 1e-3  # the first layer's gradient norm against the last layer's
EXPLODING_UPDATE = 1.0  # a step larger than the weights it changes
DEAD_SHARE = 0.8  # units that fired on no recorded batch of an epoch
SATURATED_SHARE = 0.5
PLATEAU_EPOCHS = 3
PLATEAU_TOLERANCE = 0.02  # losses within 2% of the loss of guessing


@dataclass(frozen=True)
class Alert:
    kind: str
    node: str
    epoch: int | None
    message: str
    severity: str  # "warning" or "problem"
    fixes: tuple[str, ...] = field(default=())  # fix kinds, see builder.design.health_fixes

    def to_dict(self) -> dict:
        return {"kind": self.kind, "node": self.node, "epoch": self.epoch, "message": self.message}


@dataclass(frozen=True)
class AlertKind:
    name: str
    severity: str
    check: Callable[[History], list[tuple[str, int | None, str]]]  # (node, epoch, message)
    fixes: tuple[str, ...]


class History:
    """The records of a run grouped for the checks: the statistics records per epoch (in step
    order), the node whose output went non-finite, the epoch metrics and the class count."""

    def __init__(self, records: list[dict], epochs: list[dict], classes: int | None):
        self.by_epoch: dict[int, list[dict]] = {}
        self.non_finite: list[dict] = []
        for record in records:
            if record.get("non_finite"):
                self.non_finite.append(record)
            elif record.get("params") is not None or record.get("nodes") is not None:
                self.by_epoch.setdefault(int(record.get("epoch") or 0), []).append(record)
        self.epochs = epochs
        self.classes = classes


def node_norms(record: dict) -> dict[str, tuple[float, float, float]]:
    """Per node with weights, in the model's order: (weight norm, gradient norm, update norm)."""
    sums: dict[str, list[float]] = {}
    for stats in (record.get("params") or {}).values():
        node, weight, grad = stats.get("node"), stats.get("weight_norm"), stats.get("grad_norm")
        if node is None or weight is None or grad is None:
            continue
        update = (stats.get("update_ratio") or 0.0) * weight
        acc = sums.setdefault(node, [0.0, 0.0, 0.0])
        acc[0] += weight**2
        acc[1] += grad**2
        acc[2] += update**2
    return {node: tuple(math.sqrt(v) for v in acc) for node, acc in sums.items()}


def _vanishing(h: History):
    for epoch, records in sorted(h.by_epoch.items()):
        found = []
        for record in records:
            norms = node_norms(record)
            if len(norms) < 3:
                return []
            first, (*_, last) = next(iter(norms.items())), norms.values()
            # A gradient of exactly zero is a dead path (dead_units says so), not a vanishing one.
            ratio = first[1][1] / last[1] if last[1] > 0 and first[1][1] > 0 else math.inf
            found.append((first[0], ratio))
        if found and all(r < VANISHING_RATIO for _, r in found):
            node, ratio = found[-1]
            return [(node, epoch,
                     f"gradients vanish before they reach {node}: its gradient norm is "
                     f"{ratio:.1e} of the last layer's, so the first layers hardly learn; "
                     "sigmoid or tanh in a deep stack, or no normalization, does this")]  # fmt: skip
    return []


def _exploding(h: History):
    for epoch, records in sorted(h.by_epoch.items()):
        for record in records:
            for node, (weight, grad, update) in node_norms(record).items():
                ratio = update / weight if weight > 0 else 0.0
                if ratio > EXPLODING_UPDATE or not math.isfinite(grad):
                    return [(node, epoch,
                             f"gradients explode at {node}: one step changed its weights by "
                             f"{ratio:.1f} times their size (step {record.get('step')}); "
                             "the learning rate is too high for it")]  # fmt: skip
    return []


def _last_node_values(h: History, key: str):
    """(epoch, node, value) of `key` in the last record of each epoch that has it."""
    for epoch, records in sorted(h.by_epoch.items()):
        for node, stats in (records[-1].get("nodes") or {}).items():
            value = stats.get(key)
            if value is not None:
                yield epoch, node, value


def _first_over(h: History, key: str, limit: float, says):
    """(node, epoch, message) for each node the first time its `key` share reaches `limit`."""
    found, seen = [], set()
    for epoch, node, share in _last_node_values(h, key):
        if share >= limit and node not in seen:
            seen.add(node)
            found.append((node, epoch, says(node, epoch, share)))
    return found


def _dead(h: History):
    return _first_over(h, "dead", DEAD_SHARE, lambda node, epoch, dead: (
        f"{dead:.0%} of {node}'s units fired on no recorded batch of epoch {epoch}: dead ReLUs "
        "pass no gradient and never recover; a high learning rate often kills them"))  # fmt: skip


def _saturated(h: History):
    return _first_over(h, "saturated", SATURATED_SHARE, lambda node, epoch, share: (
        f"{share:.0%} of {node}'s outputs sit at the ends of its activation, where its "
        "gradient is all but zero"))  # fmt: skip


def _non_finite(h: History):
    if not h.non_finite:
        return []
    record = h.non_finite[0]
    node = record["non_finite"]
    return [(node, record.get("epoch"),
             f"{node}'s output became NaN or infinite first (step {record.get('step')}), "
             "and the loss with it")]  # fmt: skip


def _plateau(h: History):
    if not h.classes or h.classes < 2 or len(h.epochs) < PLATEAU_EPOCHS:
        return []
    chance = math.log(h.classes)
    last = h.epochs[-PLATEAU_EPOCHS:]
    losses = [e.get("train_loss") for e in last] + [e.get("val_loss") for e in last]
    if any(not isinstance(v, int | float) for v in losses):
        return []
    if all(abs(v - chance) <= PLATEAU_TOLERANCE * chance for v in losses):
        node = _output_node(h)
        if node is None:
            return []
        return [(node, last[-1].get("epoch"),
                 f"the loss has stayed at chance level (ln {h.classes} = {chance:.3f}) for "
                 f"{PLATEAU_EPOCHS} epochs: the model guesses; the other alerts say why, if "
                 "any does")]  # fmt: skip
    return []


def _output_node(h: History) -> str | None:
    for records in reversed(list(h.by_epoch.values())):
        nodes = list(records[-1].get("nodes") or {})
        if nodes:
            return nodes[-1]
    return None


ALERT_KINDS = (
    AlertKind("non_finite", "problem", _non_finite, ("lower_lr", "clip_gradients")),
    AlertKind("exploding_gradients", "problem", _exploding, ("lower_lr", "clip_gradients")),
    AlertKind("vanishing_gradients", "problem", _vanishing, ("relu_everywhere", "norm_after")),
    AlertKind("dead_units", "problem", _dead, ("leaky_relu", "lower_lr")),
    AlertKind("saturated_units", "warning", _saturated, ("relu", "norm_before")),
    AlertKind("plateau", "warning", _plateau, ()),
)
ALERTS = {kind.name: kind for kind in ALERT_KINDS}


def find_alerts(records: list[dict], epochs: list[dict], classes: int | None = None) -> list[Alert]:
    """Every alert the run's records raise, the most serious kinds first."""
    history = History(records, epochs, classes)
    return [
        Alert(kind.name, node, epoch, message, kind.severity, kind.fixes)
        for kind in ALERT_KINDS
        for node, epoch, message in kind.check(history)
    ]


def classes_of(start: dict | None, epochs: list[dict]) -> int | None:
    """How many classes (or tokens) the run chooses among, from its start event or its last
    confusion matrix; None for a regression."""
    start = start or {}
    if start.get("class_names"):
        return len(start["class_names"])
    if start.get("vocab_size"):
        return int(start["vocab_size"])
    for row in reversed(epochs):
        if isinstance(row.get("confusion"), list):
            return len(row["confusion"])
    return None


def node_marks(alerts: list[Alert]) -> dict[str, dict]:
    """Per node: its health mark ("warning" or "problem") and the words of its alerts."""
    marks: dict[str, dict] = {}
    for alert in alerts:
        mark = marks.setdefault(alert.node, {"level": alert.severity, "messages": []})
        if alert.severity == "problem":
            mark["level"] = "problem"
        mark["messages"].append(alert.message)
    return marks
