"""A design's training program: its train.py, executed, with its model.py as the `model` it imports.

The app's worker, the CLI and notebooks all train through `training_program(design).train(...)`:
the same text `export` writes, so the exported train.py is the training that ran.
"""

from __future__ import annotations

from builder.codegen.execute import run_source
from builder.codegen.model_source import model_module
from builder.codegen.training_source import generate_train_script
from builder.design.spec import load_design


def training_program(design):
    """The executed train.py of the design: a module with train(), load_data(), TrainingError…"""
    design = load_design(design)
    model = model_module(design)
    source = generate_train_script(design)
    filename = f"<netbuilder train.py {design.name[:40]!r}>"
    return run_source(
        source, filename, "netbuilder_train", modules={"model": model}, importable=True
    )
