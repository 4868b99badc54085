"""The training program of a design: the text of train.py, which the app runs and exports.

A header (imports, the design's settings, the data functions copied verbatim from
`builder.data`, the loss, optimizer and schedule written by their recipes) followed by the
loops in `templates/` (copied after their marker line). `builder.codegen.program` executes this
same text for the app, the CLI and notebooks; `export` writes it to disk.
"""

from __future__ import annotations

import ast
import inspect
from importlib import resources

from builder.codegen.names import literal
from builder.data import budget, csv_table, loading, readers, sources, text
from builder.data.text import DEFAULT_MAX_VOCAB
from builder.design.shapes import infer_shapes
from builder.design.spec import load_design
from builder.recipes.losses import LOSS_RECIPES
from builder.recipes.optimizers import model_optimizer, optimizer_recipe
from builder.recipes.schedules import schedule_source
from builder.recipes.tasks import TASK_RECIPES
from builder.runs.protocol import EventKind

MARKER = "# ---- train.py ----\n"
# The data code train.py carries, in order: each module's own definitions, never its imports.
DATA_MODULES = (sources, budget, readers, csv_table, text, loading)
IMPORTS = """\
import argparse
import contextlib
import csv
import gc
import io
import json
import math
import os
import re
import time
import zipfile
from collections import Counter
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
"""

DOC = '''"""Train a design made with netbuilder (its name is DESIGN_NAME below); needs torch and numpy.

The app trained this design by running this very file, so with the same seed and thread count
it gives the same metrics and weights.

One process:     python train.py
Several:         torchrun --nproc_per_node=2 train.py
Options:         --epochs N  --lr LR  --batch-size B (per process)  --data PATH  --seed S
                 --out DIR  --device cpu|cuda  --weights W.pt (a state_dict to start from)
                 --amp (mixed precision)  --compile (torch.compile)  --tensorboard DIR{options}
Writes OUT/metrics.jsonl (one line per epoch){health}and OUT/weights.pt{extra};
OUT is a new folder runs/<date>-<time> unless --out names one.
"""
'''
# What the loops of one model (not a GAN's) add after templates/common.py.
ONE_MODEL_TEMPLATES = ("one_model", "health", "lr_finder")
HEALTH_DOC = {
    "options": "\n                 --no-health (record no health statistics)  --find-lr (only find"
    "\n                 a learning rate: prints one JSON line with suggested_lr, lrs, losses)",
    "health": ", OUT/health.jsonl (per-layer statistics\nevery HEALTH_EVERY steps) ",
}
GAN_DOC = {"options": "", "health": " "}


def template(name: str) -> str:
    """The part of templates/NAME.py after its marker line."""
    text = resources.files("builder.codegen.templates").joinpath(f"{name}.py").read_text("utf-8")
    if MARKER not in text:
        raise RuntimeError(f"templates/{name}.py has no marker line {MARKER.strip()!r}")
    return text.split(MARKER, 1)[1].strip("\n")


def data_source() -> str:
    """Every definition of the data modules, in order, as their source says it."""
    blocks = []
    for module in DATA_MODULES:
        text = inspect.getsource(module)
        for node in ast.parse(text).body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # the module's docstring
            blocks.append(ast.get_source_segment(text, node, padded=True))
    return "\n\n\n".join(blocks)


def _constants(design, s: dict, input_model: str) -> list[str]:
    dataset = s["dataset"]
    is_file = isinstance(dataset, dict)
    graph = design.models[input_model]
    input_node = graph.node(graph.input_node)
    return [
        "# Settings of the design.",
        f"DESIGN_NAME = {literal(design.name)}",
        f"TASK = {literal(s['task'])}",
        f"DATA = {literal(dataset['path'] if is_file else dataset)}",
        f"DATA_KIND = {literal(dataset['type']) if is_file else None}",
        f"TARGET = {literal(dataset['target']) if is_file and dataset.get('target') else None}",
        f"INPUT_SHAPE = {tuple(int(v) for v in input_node.params.get('shape') or ())!r}",
        f"BATCH_SIZE = {int(s['batch_size'])}",
        f"EPOCHS = {int(s['epochs'])}",
        f"SEED = {int(s['seed'])}",
        f"TEXT = {_text_setting(s)}",
        "# The kinds of event the training emits (the app's run protocol).",
        f"EVENT_KINDS = {tuple(str(kind) for kind in EventKind)!r}",
        "# Mixed precision and torch.compile (--amp, --compile): the design's advanced options.",
        f"AMP = {bool(s.get('amp'))}",
        f"COMPILE = {bool(s.get('compile'))}",
    ]


def _text_setting(s: dict) -> str:
    """The tokenizer settings and a CSV's text column, as a dict literal of train.py."""
    text, dataset = s.get("text") or {}, s["dataset"]
    column = dataset.get("text") if isinstance(dataset, dict) else None
    return (
        f'{{"tokens": {literal(text.get("tokens") or "chars")}, '
        f'"max_vocab": {int(text.get("max_vocab") or DEFAULT_MAX_VOCAB)}, '
        f'"column": {literal(column) if column else None}}}'
    )


def _supervised_parts(design, s: dict) -> list[str]:
    from_model = "from model import Model"
    output_shape = _output_shape(design)
    opt = optimizer_recipe(s["optimizer"])
    loss = LOSS_RECIPES[s["loss"]]
    recipes = f"""# Loss, optimizer and schedule of the design.
LOSS = {literal(loss.name)}
LR = {opt.learning_rate(s["optimizer"])!r}
CLASSIFICATION = {s["task"] == "classification"}
CLIP_GRAD_NORM = {_clip(s)!r}  # gradients rescaled to at most this norm (None: never)
RECORDS_HEALTH = True  # health statistics and the learning-rate finder (--no-health, --find-lr)


def compute_loss(output, target):
    return {loss.code(output_shape)}


def make_optimizer(params, lr):
    return {opt.source(s["optimizer"])}


def make_schedule(optimizer, epochs):
    return {schedule_source(s.get("schedule"))}"""
    return [from_model, "\n".join(_constants(design, s, "model")), recipes]


def _gan_parts(design, s: dict) -> list[str]:
    cfg_g, cfg_d = model_optimizer(s, "generator"), model_optimizer(s, "discriminator")
    opt_g, opt_d = optimizer_recipe(cfg_g), optimizer_recipe(cfg_d)
    recipes = f"""# Optimizers and schedules of the design (a GAN trains with BCE on logits).
LR_GENERATOR = {opt_g.learning_rate(cfg_g)!r}
LR_DISCRIMINATOR = {opt_d.learning_rate(cfg_d)!r}
LABEL_SMOOTHING = {float(s.get("label_smoothing") or 0.0)!r}
NOISE_SAMPLES = {int(s.get("noise_samples") or 64)}
RECORDS_HEALTH = False  # a GAN records no health statistics and has no learning-rate finder


def make_optimizers(generator, discriminator, lr_g, lr_d):
    return (
        {opt_g.source(cfg_g, "generator.parameters()", "lr_g")},
        {opt_d.source(cfg_d, "discriminator.parameters()", "lr_d")},
    )


def make_schedules(opt_g, opt_d, epochs):
    return (
        {schedule_source(s.get("schedule"), "opt_g")},
        {schedule_source(s.get("schedule"), "opt_d")},
    )"""
    constants = _constants(design, s, "discriminator")
    return ["from model import Discriminator, Generator", "\n".join(constants), recipes]


def _clip(s: dict) -> float | None:
    value = s.get("clip_grad_norm")
    return None if value is None else float(value)


def _output_shape(design) -> list[int]:
    shapes = infer_shapes(design)["model"]
    return list(shapes[list(shapes)[-1]])


def generate_train_script(design) -> str:
    """The text of train.py for this design (it imports model.py, written next to it)."""
    design = load_design(design)
    s = design.settings
    task = TASK_RECIPES[s["task"]]
    if task.loop == "gan":
        if not design.is_gan:
            raise ValueError('task "gan" needs two models, "generator" and "discriminator"')
        model_import, constants, recipes = _gan_parts(design, s)
        extra = ' ({"generator": ..., "discriminator": ...}) and OUT/samples.npy'
    else:
        model_import, constants, recipes = _supervised_parts(design, s)
        extra = " (the model's state_dict)"
        if task.loop == "language_model":
            extra += ", OUT/vocab.json and OUT/samples.json"
    parts = [
        DOC.format(extra=extra, **(GAN_DOC if task.loop == "gan" else HEALTH_DOC)).strip("\n"),
        IMPORTS.strip("\n") + "\n\n" + model_import,
        constants,
        "# Data: the very functions the app loads its data with.\n\n" + data_source(),
        recipes,
        template("common"),
        template("options"),
        *([] if task.loop == "gan" else [template(t) for t in ONE_MODEL_TEMPLATES]),
        template(task.loop),
        'if __name__ == "__main__":\n    main()',
    ]
    return "\n\n\n".join(parts) + "\n"
