"""Export: the files a user takes home, written from the same source that trains in the app."""

from __future__ import annotations

import re
from pathlib import Path

from builder.codegen.model_source import generate_code
from builder.codegen.training_source import generate_train_script
from builder.design.spec import load_design
from builder.export.notebook import notebook_json


def slug(name: str) -> str:
    """A file-system-safe folder name for a design."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:60] or "design"


def notebook_name(design) -> str:
    """The exported notebook's file name: the design's name, made safe."""
    return f"{slug(load_design(design).name)}.ipynb"


def export_files(design) -> dict[str, str]:
    """File name -> text of every exported file."""
    design = load_design(design)
    return {
        "model.py": generate_code(design),
        "train.py": generate_train_script(design),
        "design.json": design.to_json() + "\n",
        notebook_name(design): notebook_json(design),
    }


def export_design(design, out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in export_files(design).items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
