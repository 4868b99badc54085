"""What any value in a design file may be, checked before anything else reads it.

A design file comes from anyone; these checks make sure every text can be written and shown
(no lone surrogates), every number is one a design can mean (no 5,000-digit integers, no
infinities), and nothing is so long or so many that showing it costs the server.
"""

from __future__ import annotations

import math
from typing import Any

from builder.errors import DesignError

MAX_INT = 2**53  # beyond this JSON numbers lose precision, and no size or count is that large
MAX_TEXT = 10_000  # characters in any one text
MAX_NAME = 200  # characters in a design's name and a node's id
MAX_NODES = 2_000  # nodes per model
MAX_DEPTH = 32  # nesting of objects and lists


def check_values(data: Any, where: str = "design", depth: int = 0) -> None:
    """Raise DesignError naming the first value a design may not hold (its path, what it is)."""
    if depth > MAX_DEPTH:
        raise DesignError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(data, str):
        check_text(data, where)
    elif isinstance(data, bool) or data is None:
        return
    elif isinstance(data, int):
        if abs(data) > MAX_INT:
            digits = len(str(abs(data))) if data.bit_length() < 60_000 else "too many"
            raise DesignError(
                f"{where}: the number with {digits} digits is too large (at most {MAX_INT:,})"
            )
    elif isinstance(data, float):
        if not math.isfinite(data):
            raise DesignError(f"{where}: {data!r} is not a finite number")
    elif isinstance(data, dict):
        for key, value in data.items():
            check_text(str(key), f"{where} (a key)")
            check_values(value, f"{where}.{_shown(key)}", depth + 1)
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            check_values(value, f"{where}[{i}]", depth + 1)


def check_text(text: str, where: str, limit: int = MAX_TEXT) -> None:
    if len(text) > limit:
        raise DesignError(f"{where}: {len(text):,} characters, more than the {limit:,} allowed")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise DesignError(
            f"{where}: holds a character that is not text (U+{ord(bad):04X} at position "
            f"{exc.start}); retype it"
        ) from None


def _shown(key) -> str:
    text = str(key)
    text = text if text.isprintable() and len(text) <= 40 else repr(text[:40])
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("ascii")
    return text
