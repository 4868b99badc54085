"""The workspace root: everyone's folders (people/), shared links (shared/), or, for the command
line and notebooks, one run store and its runs."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "NETBUILDER_WORKSPACE"


def workspace_dir(override: str | os.PathLike | None = None) -> Path:
    """The folder given, else $NETBUILDER_WORKSPACE, else ./workspace; created on demand."""
    path = Path(override or os.environ.get(ENV_VAR) or "workspace").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path
