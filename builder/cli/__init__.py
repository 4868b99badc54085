"""Command line: `python -m builder check | export | train`."""

from builder.cli.main import main

__all__ = ["main"]
