"""Fixes the data set decides: the Input shaped like its samples, the output sized to its classes
(or, for a language model, its vocabulary), and Embeddings sized to its vocabulary."""

from __future__ import annotations

from builder.design.edits import set_param
from builder.design.spec import Design
from builder.layers.registry import fmt_shape, get_kind


def classes_fix(design, model, shapes, num_classes, per_position=False):
    """A classifier whose last Dense does not output one logit per class (a language model:
    one per token of the vocabulary, at every position)."""
    graph = design.models[model]
    out = graph.node(graph.output_node) if graph.output_node else None
    if out is None or out.type != "Dense" or out.id not in shapes:
        return []
    shape = list(shapes[out.id])
    if len(shape) != (2 if per_position else 1) or shape[-1] == num_classes:
        return []
    fixed = set_param(design, model, out.id, out_features=num_classes)
    return [(f"classes:{out.id}", f"Set {out.id}.out_features to {num_classes}", fixed)]


def input_shape_fix(design, model, data_shape):
    """An Input whose shape is not the data's sample shape."""
    graph = design.models[model]
    node = graph.node(graph.input_node) if graph.input_node else None
    if node is None or list(get_kind("Input").resolve(node.params)["shape"]) == list(data_shape):
        return []
    fixed = set_param(design, model, node.id, shape=list(data_shape))
    return [(f"inputshape:{node.id}", f"Set the Input shape to {fmt_shape(data_shape)}", fixed)]


def vocab_fixes(design, model, vocab_size):
    """Token lookups with fewer rows than the data's vocabulary has tokens."""
    items = []
    for node in design.models[model].nodes:
        if node.type != "Embedding":
            continue
        if get_kind("Embedding").resolve(node.params)["num_embeddings"] >= vocab_size:
            continue
        fixed = set_param(design, model, node.id, num_embeddings=vocab_size)
        label = f"Set {node.id}.num_embeddings to the vocabulary ({vocab_size})"
        items.append((f"vocab:{node.id}", label, fixed))
    return items


def fill_from_data(design: Design, vocab_size: int | None) -> tuple[Design, list[str]]:
    """The design with each Embedding whose num_embeddings was left empty (never set) sized to
    the data's vocabulary, and the ids filled; the design itself when there is nothing to fill.
    The number is then written in the design, so its export, ONNX and CLI runs agree."""
    if not vocab_size:
        return design, []
    filled = []
    for model, graph in design.models.items():
        for node in graph.nodes:
            if node.type == "Embedding" and "num_embeddings" not in node.params:
                design = set_param(design, model, node.id, num_embeddings=vocab_size)
                filled.append(node.id)
    return design, filled
