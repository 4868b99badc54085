"""Export: the files a user takes home, written from the same source that trains in the app."""

from __future__ import annotations

from pathlib import Path

from builder.codegen.model_source import generate_code
from builder.codegen.training_source import generate_train_script
from builder.design.spec import load_design


def export_files(design) -> dict[str, str]:
    """File name -> text of every exported file."""
    design = load_design(design)
    return {
        "model.py": generate_code(design),
        "train.py": generate_train_script(design),
        "design.json": design.to_json() + "\n",
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
