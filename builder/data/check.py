"""A data set against a design: does its sample fit the Input and its targets fit the output?"""

from __future__ import annotations

import numpy as np

from builder.data.catalog import BUILTIN
from builder.data.datasets import Dataset, dataset_label, load_dataset
from builder.data.sources import DataError
from builder.errors import Problem
from builder.layers.registry import get_kind
from builder.recipes.losses import check_loss
from builder.recipes.tasks import DEFAULT_LOSS


def _fmt(shape) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def data_model(design) -> str:
    """The model that reads the data: `discriminator` for a GAN, else `model`."""
    task = design.task
    return "discriminator" if task == "gan" else "model"


def model_io(design, model: str = "model", shapes: dict | None = None) -> dict:
    """The Input node and the output node of a model (as its graph answers), with shapes.

    `shapes` is `infer_shapes(design)` when the caller already has it; without it only the
    Input's declared shape is filled in (output_shape None).
    """
    graph = design.models.get(model)
    if graph is None:
        raise DataError(f"the design has no model named {model!r}")
    input_id = graph.input_node
    if input_id is None:
        raise DataError(f"model {model!r} has no Input node")
    out_id = graph.output_node
    model_shapes = (shapes or {}).get(model, {})
    return {
        "input_id": input_id,
        # resolved: an Input left at its default shape stores no "shape" param
        "input_shape": list(get_kind("Input").resolve(graph.node(input_id).params)["shape"]),
        "output_id": out_id,
        "output_shape": model_shapes.get(out_id) if out_id else None,
    }


def load_for_design(design, *, max_bytes: int | None = None) -> Dataset:
    """The design's data set, with image files resized to its Input."""
    io = model_io(design, data_model(design))
    return load_dataset(
        design.training or {}, io["input_shape"], max_bytes=max_bytes, input_id=io["input_id"]
    )


def check_dataset(dataset: Dataset, design, shapes: dict) -> list[Problem]:
    """Every way the data set and the design disagree, each naming both shapes.

    `shapes` is `infer_shapes(design)`."""
    task = design.task
    model = data_model(design)
    io = model_io(design, model, shapes)
    label = dataset_label((design.training or {}).get("dataset"))
    problems = []
    if list(io["input_shape"]) != dataset.sample_shape:
        problems.append(
            Problem(
                f"the data set {label!r} gives samples of shape {_fmt(dataset.sample_shape)}, "
                f"but the Input expects {_fmt(io['input_shape'])}",
                node_id=io["input_id"],
                model=model,
                node_type="Input",
                fix=f"set the Input shape to {_fmt(dataset.sample_shape)}",
            )
        )
    if task == "gan" or io["output_shape"] is None:
        return problems
    problems += vocabulary_problems(dataset, design, model)
    loss = (design.training or {}).get("loss") or DEFAULT_LOSS.get(task, "mse")
    classes = len(dataset.vocab) if task == "language_model" and dataset.vocab else None
    for message in check_loss(
        task, loss, io["output_shape"], classes or dataset.num_classes, dataset.target_shape
    ):
        problems.append(
            Problem(
                f"{message} (data set {label!r}, loss {loss!r})",
                node_id=io["output_id"],
                model=model,
                node_type=design.models[model].node(io["output_id"]).type,
            )
        )
    return problems


def vocabulary_problems(dataset: Dataset, design, model: str) -> list[Problem]:
    """Token layers too small for the data's vocabulary, and tokens fed to a layer of numbers."""
    graph = design.models[model]
    found = []
    for node in graph.nodes:
        kind = get_kind(node.type)
        if kind is None or not kind.tokens:
            continue
        size = kind.resolve(node.params)["num_embeddings"]
        if dataset.vocab is None:
            found.append(
                Problem(
                    "takes tokens, but the data set holds numbers, not text",
                    node.id,
                    model,
                    node.type,
                    "train on text (python_docs, a .txt file, a CSV text column), or remove it",
                )
            )
        elif size < len(dataset.vocab):
            found.append(
                Problem(
                    f"num_embeddings is {size}, but the data's vocabulary has "
                    f"{len(dataset.vocab)} tokens",
                    node.id,
                    model,
                    node.type,
                    f"set num_embeddings to {len(dataset.vocab)}",
                )
            )
    if dataset.vocab is not None and not found:
        io = model_io(design, model)
        fed = graph.users_of(io["input_id"])
        if not any(get_kind(graph.node(n).type).tokens for n in fed):
            found.append(
                Problem(
                    "the data set is text: its samples are token ids, which need an Embedding",
                    io["input_id"],
                    model,
                    "Input",
                    "put an Embedding right after the Input",
                )
            )
    return found


def describe_dataset(training: dict, input_shape=None, preview: int = 16) -> dict:
    """What the page shows before training: shapes, classes, sizes and a few samples.

    Raises DataError with a readable message when the data set cannot be read.
    """
    ds = load_dataset(training, input_shape)
    counts = None
    if ds.num_classes and ds.y_train is not None:
        counts = np.bincount(ds.y_train, minlength=ds.num_classes).tolist()
    spec = training.get("dataset")
    return {
        "name": ds.name,
        "task": ds.task,
        "description": BUILTIN.get(spec, "") if isinstance(spec, str) else f"file {ds.name}",
        "sample_shape": ds.sample_shape,
        "target_shape": ds.target_shape,
        "num_classes": ds.num_classes,
        "class_names": ds.class_names,
        "class_counts": counts,
        "feature_names": ds.feature_names,
        "n_train": int(len(ds.x_train)),
        "n_val": int(len(ds.x_val)),
        "preview": {
            "x": ds.x_train[:preview].copy(),
            "y": None if ds.y_train is None else ds.y_train[:preview].copy(),
        },
    }
