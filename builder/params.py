"""Parameter declarations: one schema drives validation, the inspector form and the canvas palette."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

ACTIVATIONS = (
    "none", "relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax",
)  # fmt: skip


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # "int" | "float" | "bool" | "choice" | "shape"
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple = field(default=())
    nullable: bool = False
    min_exclusive: bool = False
    max_exclusive: bool = False
    # When it applies: (another param's name, the values of it that make this one count);
    # None: always. A form shows the field only while it applies.
    applies_when: tuple[str, tuple] | None = None

    def applies(self, values: dict) -> bool:
        """Whether this param counts, given the node's params (defaults filled in)."""
        if self.applies_when is None:
            return True
        other, wanted = self.applies_when
        return values.get(other) in wanted

    def schema(self) -> dict:
        return {
            "name": self.name,
            "type": self.type,
            "default": list(self.default) if isinstance(self.default, tuple) else self.default,
            "min": self.min,
            "max": self.max,
            "min_exclusive": self.min_exclusive,
            "max_exclusive": self.max_exclusive,
            "choices": list(self.choices),
            "nullable": self.nullable,
            "help": self.help,
            "applies_when": (
                None
                if self.applies_when is None
                else {"param": self.applies_when[0], "values": list(self.applies_when[1])}
            ),
        }

    def number_from(self, raw: Any) -> tuple[Any, str | None]:
        """A number as a person or a design file writes it, as this param stores it; (value,
        why-not).  The one reading the inspector, the design file and the CLI share: "1e3" and
        1000.0 are 1000 for a whole-number param, a fraction there is refused, text is read as
        a number (never evaluated).  Other params and missing values pass through unread."""
        if self.type not in ("int", "float") or raw is None or isinstance(raw, bool):
            return raw, None
        if isinstance(raw, str):
            text = raw.strip()
            try:
                raw = int(text)
            except ValueError:
                try:
                    raw = float(text)
                except ValueError:
                    kind = "a whole number" if self.type == "int" else "a number"
                    return None, f"expected {kind}, got {text!r} (written like 32 or 1e3)"
        if not isinstance(raw, int | float):
            return raw, None  # not a number at all: check() says so
        if isinstance(raw, float) and not math.isfinite(raw):
            return None, f"expected a finite number, got {raw!r}"
        if self.type == "float":
            return float(raw), None
        if isinstance(raw, float):
            if not raw.is_integer():
                return None, f"expected a whole number, got {raw:g}"
            return int(raw), None
        return raw, None

    def check(self, value: Any) -> str | None:
        """Return why `value` is not acceptable, or None when it is."""
        if value is None:
            return None if self.nullable else "a value is required"
        if self.type == "bool":
            return None if isinstance(value, bool) else f"expected true or false, got {value!r}"
        if self.type == "choice":
            if value in self.choices:
                return None
            return f"expected one of {', '.join(map(str, self.choices))}, got {value!r}"
        if self.type == "shape":
            ok = isinstance(value, list | tuple) and len(value) > 0
            ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            if not ok:
                return f"expected a list of whole numbers like [1, 28, 28], got {value!r}"
            if len(value) > 3:
                return f"expected at most 3 dimensions, got {len(value)}"
            if any(v < 1 and v != -1 for v in value) or list(value).count(-1) > 1:
                return "every size must be 1 or more (at most one -1 to infer a size)"
            if self.name == "shape" and -1 in value and self.min == 1:
                return "every size must be 1 or more"
            return None
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"expected a whole number, got {value!r}"
        elif self.type == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"expected a number, got {value!r}"
            if not math.isfinite(value):
                return f"expected a finite number, got {value!r}"
        return self._check_bounds(value)

    def _check_bounds(self, value: float) -> str | None:
        if self.min is not None:
            if value < self.min or (self.min_exclusive and value == self.min):
                word = "more than" if self.min_exclusive else "at least"
                return f"must be {word} {self.min:g}, got {value!r}"
        if self.max is not None:
            if value > self.max or (self.max_exclusive and value == self.max):
                word = "less than" if self.max_exclusive else "at most"
                return f"must be {word} {self.max:g}, got {value!r}"
        return None


def activation_param() -> Param:
    return Param(
        "activation",
        "choice",
        "none",
        "Function applied to this layer's output",
        choices=ACTIVATIONS,
    )
