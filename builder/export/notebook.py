"""The exported notebook: the design explained layer by layer, then its model, data, training, a
plot of the metrics and (for GANs and language models) the samples.

It teaches from the same declarations the canvas is drawn from (each layer's help text, each
param's), and it trains by importing train.py beside it and calling train.py's own functions in
the notebook's process, so with the same seed it gives the same metrics as `python train.py`.
"""

from __future__ import annotations

import re

import nbformat
from nbformat import v4

from builder.codegen.model_source import CLASS_NAMES, generate_code
from builder.data.catalog import BUILTIN
from builder.design.settings import resolved_training
from builder.design.shapes import analyze
from builder.design.spec import load_design
from builder.errors import GraphError
from builder.export.notebook_cells import (
    DATA_CELL,
    METRICS_TEXT,
    OUT,
    PLOT_CELL,
    SAMPLES_CELL,
    SAMPLES_TEXT,
    TRAIN_CELL,
)
from builder.introspect.flops import FLOP_MEANING, design_flops, fmt_flops
from builder.layers.registry import fmt_shape, get_kind
from builder.recipes.losses import LOSS_HELP
from builder.recipes.tasks import TASK_RECIPES

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:])")

MODEL_TITLES = {
    "model": "The model",
    "generator": "The generator",
    "discriminator": "The discriminator",
}


def notebook_json(design) -> str:
    """The notebook of the design, as the text of an .ipynb file (nbformat 4, validated)."""
    design = load_design(design)
    analysis = analyze(design)
    if analysis.problems:
        raise GraphError(analysis.problems)
    settings = resolved_training(dict(design.training or {}))
    loop = TASK_RECIPES[settings["task"]].loop
    flops = design_flops(design, analysis)
    cells = [v4.new_markdown_cell(_introduction(design, settings))]
    for model in design.models:
        cells.append(v4.new_markdown_cell(_layers_text(design, model, analysis, flops)))
    cells += [
        v4.new_markdown_cell(_model_code_text(design)),
        v4.new_code_cell(_build_cell(design)),
        v4.new_markdown_cell(_data_text(settings)),
        v4.new_code_cell(DATA_CELL),
        v4.new_markdown_cell(_training_text(settings, flops)),
        v4.new_code_cell(TRAIN_CELL.format(out=OUT)),
        v4.new_markdown_cell(METRICS_TEXT),
        v4.new_code_cell(PLOT_CELL[loop].format(out=OUT)),
    ]
    if loop in SAMPLES_CELL:
        cells += [v4.new_markdown_cell(SAMPLES_TEXT[loop]), v4.new_code_cell(SAMPLES_CELL[loop])]
    for number, cell in enumerate(cells, start=1):
        cell.id = f"cell-{number:02d}"  # the same design, the same file: no random ids
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def md_escape(text: object) -> str:
    """User text (a design's name, a file's path) shown exactly as written in markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def md_code(text: object) -> str:
    """User text (a node id) as inline code, which markdown shows literally."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


def _introduction(design, s: dict) -> str:
    task = TASK_RECIPES[s["task"]]
    return "\n".join(
        [
            f"# {md_escape(design.name)}",
            "",
            f"A {s['task'].replace('_', ' ')} design made with netbuilder: it learns to "
            f"{task.help}.",
            "",
            "This notebook walks through the design layer by layer, builds its model from "
            "`model.py`, loads its data and trains it with the very functions of `train.py` "
            "(both files sit beside this notebook). With the same seed it gives the same "
            "metrics as running `python train.py`.",
        ]
    )


def _layers_text(design, model: str, analysis, flops) -> str:
    graph = design.models[model]
    nodes = {node.id: node for node in graph.nodes}
    inbound = {node.id: [] for node in graph.nodes}
    for source, target in graph.edges:
        inbound[target].append(source)
    lines = [f"## {MODEL_TITLES[model]}, layer by layer", ""]
    if design.is_gan:
        lines += [_gan_role(model), ""]
    for node_id in analysis.order[model]:
        node = nodes[node_id]
        kind = get_kind(node.type)
        params = kind.resolve(node.params)
        lines.append(f"### {md_code(node_id)}: {node.type}")
        lines.append("")
        lines.append(kind.help + ".")
        if inbound[node_id]:
            sources = ", ".join(md_code(s) for s in inbound[node_id])
            lines.append(f"It reads {sources}.")
        lines.append("")
        for param in kind.params:
            if param.name in node.params:
                value = md_code(repr(params[param.name]))
                lines.append(f"- `{param.name}` = {value}: {param.help}")
        activation = params.get("activation") if kind.activation else None
        if activation and activation != "none":
            lines.append(f"- then the activation {md_code(activation)}")
        count = analysis.params[model].get(node_id, 0)
        cost = fmt_flops(flops.nodes[model].get(node_id, 0))
        lines.append(
            f"- output {fmt_shape(analysis.shapes[model][node_id])}, {count:,} parameters, "
            f"{cost} per sample"
        )
        lines.append("")
    total = sum(analysis.params[model].values())
    lines.append(
        f"In all: {total:,} parameters and {fmt_flops(flops.model_total(model))} per sample "
        f"forward. {FLOP_MEANING}"
    )
    return "\n".join(lines)


def _gan_role(model: str) -> str:
    if model == "generator":
        return "The generator turns random noise into samples that should pass for real data."
    return (
        "The discriminator reads a sample, real or generated, and outputs one logit: "
        "above 0 it calls the sample real."
    )


def _model_code_text(design) -> str:
    code = generate_code(design)
    classes = code.split('\nif __name__ == "__main__":')[0].rstrip()
    return "\n".join(
        [
            "## The model in PyTorch",
            "",
            "`model.py` beside this notebook, generated from the design: one `nn.Module` whose "
            "`__init__` creates each layer and whose `forward` wires them as the canvas does. "
            "Edit `model.py` to change the model.",
            "",
            "```python",
            classes,
            "```",
        ]
    )


def _build_cell(design) -> str:
    lines = ["import torch", ""]
    names = [CLASS_NAMES[model] for model in design.models]
    lines.append(f"from model import {', '.join(sorted(names))}")
    lines.append("")
    for name in names:
        var = name.lower()
        lines += [
            f"{var} = {name}()",
            f"print({var})",
            f'print(f"{name}: {{sum(p.numel() for p in {var}.parameters()):,}} parameters, '
            f'input {{list({name}.INPUT_SHAPE)}}, output {{list({name}.OUTPUT_SHAPE)}}")',
        ]
    return "\n".join(lines)


def _data_text(s: dict) -> str:
    dataset = s["dataset"]
    if isinstance(dataset, dict):
        where = f"the file {md_code(dataset.get('path'))} ({md_escape(dataset.get('type'))})"
        note = (
            " The notebook reads it where the path says, or from `data/` beside it (where the "
            "export's ZIP puts it)."
        )
    else:
        where = f"the built-in data set `{dataset}`: {BUILTIN.get(dataset, '')}"
        note = ""
    return "\n".join(
        [
            "## The data",
            "",
            f"The design trains on {where}.{note} `load_data` is `train.py`'s own: it reads the "
            "data, splits off a validation set with the seed, and scales it as the app did.",
        ]
    )


def _training_text(s: dict, flops) -> str:
    optimizer = s["optimizer"]
    batch = int(s["batch_size"])
    lines = [
        "## Training",
        "",
        f"- loss: `{s['loss']}`: {LOSS_HELP.get(s['loss'], '')}"
        if s["task"] != "gan"
        else "- loss: binary cross-entropy on the discriminator's logits (real vs generated)",
        f"- optimizer: `{optimizer['type']}`, learning rate {optimizer['lr']:g}",
        f"- {int(s['epochs'])} epochs of batches of {batch}, seed {int(s['seed'])}",
        f"- one training step costs about {fmt_flops(flops.training_step(batch))} "
        "(forward and backward)",
        "",
        "The next cell calls `train()` from `train.py`: the loop the app ran. It prints one line "
        "per epoch and writes the same `metrics.jsonl` and `weights.pt` as `python train.py "
        f"--out {OUT}` would. Change `epochs=` or `seed=` in the cell to experiment.",
    ]
    return "\n".join(lines)
