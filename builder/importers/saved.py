"""An imported model's weights, kept in the person's workspace beside the design they came with.

The design records where (`layout["_import"]`, which the trainer ignores); only a file named
the way `keep_import` names it, inside the workspace's `imports/` folder, is ever read back.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import replace
from pathlib import Path

import torch

from builder.design.spec import Design
from builder.runs.workspace import workspace_dir
from builder.training.control import save_weights

FOLDER = "imports"
_NAME = re.compile(r"imports/[0-9a-f]{16}\.pt")


def keep_import(design: Design, weights: dict, source: str, workspace=None) -> Design:
    """Save `weights` under WORKSPACE/imports/ and return the design that records them."""
    buffer = io.BytesIO()
    torch.save(weights, buffer)
    relative = f"{FOLDER}/{hashlib.sha256(buffer.getvalue()).hexdigest()[:16]}.pt"
    save_weights(weights, workspace_dir(workspace) / relative)
    record = {"source": str(source)[:200], "weights": relative}
    return replace(design, layout={**(design.layout or {}), "_import": record})


def imported_weights(design: Design, workspace=None) -> Path | None:
    """The imported weights this design came with, when they are still in this workspace."""
    record = (design.layout or {}).get("_import")
    relative = record.get("weights") if isinstance(record, dict) else None
    if not isinstance(relative, str) or not _NAME.fullmatch(relative):
        return None
    path = workspace_dir(workspace) / relative
    return path if path.is_file() else None


def imported_source(design: Design) -> str | None:
    record = (design.layout or {}).get("_import")
    return str(record.get("source")) if isinstance(record, dict) else None
