"""Errors a user can act on: every problem names its model, node and, where obvious, the fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a design, pinned to the node that causes it (node_id None: the design)."""

    message: str
    node_id: str | None = None
    model: str | None = None
    node_type: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.model not in (None, "model"):
            where = f"{self.model}: "
        if self.node_id is not None:
            kind = f" ({self.node_type})" if self.node_type else ""
            where += f"node {self.node_id!r}{kind}: "
        text = where + self.message
        return f"{text}: {self.fix}" if self.fix else text

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "node_id": self.node_id,
            "node_type": self.node_type,
            "message": self.message,
            "fix": self.fix,
            "text": str(self),
        }


class DesignError(ValueError):
    """A design file that cannot be read or does not follow the design-file contract."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


class GraphError(DesignError):
    """A design whose graph is wrong; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the design"
        super().__init__(head + ":\n" + "\n".join(f"- {p}" for p in self.problems))


class ShapeError(Exception):
    """Raised by a layer's shape rule; the caller pins it to the node."""

    def __init__(self, message: str, fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix
