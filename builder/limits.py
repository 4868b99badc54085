"""Limits an operator sets through the environment, each declared once with its default.

One reader for all of them: a limit is a declaration (`EnvLimit`) in the module it guards,
and `read()` says what the environment makes of it. A new limit is one more declaration.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

MB = 2**20


@dataclass(frozen=True)
class EnvLimit:
    """A number read from environment variable `var`.

    `default` (or a function giving it) applies when the variable is unset or empty; `scale`
    turns the number into the unit the code works in (MB: megabytes into bytes); `whole` asks
    for a whole number. A value that is not a positive number is refused by name when
    `refuse_bad`, else the default applies (a limit the page checks on every edit must not
    break the page).
    """

    var: str
    default: float | Callable[[], float]
    what: str  # what the number counts, for the message: "megabytes", "runs"
    scale: float = 1
    whole: bool = False
    refuse_bad: bool = False

    def read(self) -> int | float:
        text = os.environ.get(self.var, "").strip()
        value = self._parse(text) if text else None
        if value is None:
            if text and self.refuse_bad:
                kind = "a whole number" if self.whole else "a number"
                raise ValueError(
                    f"{self.var} must be {kind} of {self.what} (at least 1), got {text!r}"
                )
            value = self.default() if callable(self.default) else self.default
        scaled = value * self.scale
        return int(scaled) if self.whole or self.scale != 1 else scaled

    def _parse(self, text: str) -> float | None:
        try:
            value = int(text) if self.whole else float(text)
        except ValueError:
            return None
        if self.whole and value < 1:
            return None
        return value if math.isfinite(value) and value > 0 else None
