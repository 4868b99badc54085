"""Reading an ONNX file as data: the bytes are parsed (never loaded through a path), then every
tensor anywhere in it is looked at before any is turned into an array. External data, nested
graphs (If, Loop, Scan), other operator domains and absurd sizes are refused, each by its place."""

from __future__ import annotations

import math
import re
from collections import deque

import numpy as np
import onnx
from onnx import numpy_helper

from builder.importers.graph import ImportRefused

MAX_FILE_BYTES = 512 * 2**20
MAX_DIM = 2**20
MAX_ELEMENTS = 2**28  # one tensor written in the file (it also has to fit in the file's bytes)
MAX_NODES = 20_000
MAX_PARTS = 1_000_000  # messages that can hold a tensor: far above any real model's count
MAX_CHECK_BATCH = 64  # a file that fixes its batch is checked with that batch
SHOWN = 20  # refusals listed before "and N more"

TENSOR = onnx.TensorProto.DESCRIPTOR
SPARSE = onnx.SparseTensorProto.DESCRIPTOR
NODE = onnx.NodeProto.DESCRIPTOR.full_name
GRAPH = onnx.GraphProto.DESCRIPTOR.full_name
WORDS = {  # how a place reads in a refusal: "graph > node 'c' (Constant) > attribute 'value'"
    "t": "tensor",
    "tensors": "tensor",
    "sparse_tensor": "sparse tensor",
    "sparse_tensors": "sparse tensor",
    "g": "graph",
    "graphs": "graph",
    "sparse_initializer": "sparse initializer",
    "training_info": "training info",
    "functions": "function",
    "initialization": "initialization graph",
    "algorithm": "algorithm graph",
}


def _holders() -> set[str]:
    """Message types that can hold a tensor, however deep: the walk descends only into these."""
    holders = {TENSOR.full_name, SPARSE.full_name}
    messages, grew = {}, True
    stack = [onnx.ModelProto.DESCRIPTOR]
    while stack:
        descriptor = stack.pop()
        if descriptor.full_name in messages:
            continue
        messages[descriptor.full_name] = descriptor
        stack += [f.message_type for f in descriptor.fields if f.message_type is not None]
    while grew:
        grew = False
        for name, descriptor in messages.items():
            if name not in holders and any(
                f.message_type is not None and f.message_type.full_name in holders
                for f in descriptor.fields
            ):
                holders.add(name)
                grew = True
    return holders


HOLDERS = _holders()


def _label(field_name: str, message, index: int | None) -> str:
    word = WORDS.get(field_name, field_name)
    name = message.values.name if isinstance(message, onnx.SparseTensorProto) else ""
    name = name or getattr(message, "name", "")
    if isinstance(message, onnx.NodeProto):
        return f"{word} {name or '(unnamed)'!r} ({message.op_type})"
    if name:
        return f"{word} {name!r}"
    return f"{word} #{index}" if index is not None else word


# A place is spelled only when something there is refused: (the place above, field, item, index).
Place = tuple | None


def spell(place: Place) -> str:
    parts = []
    while place is not None:
        place, field_name, item, index = place
        parts.append(_label(field_name, item, index))
    return " > ".join(reversed(parts))


def _depth(place: Place, word: str) -> int:
    count = 0
    while place is not None:
        place, field_name, _, _ = place
        count += field_name == word
    return count


def _too_large(dims) -> bool:
    return any(d < 0 or d > MAX_DIM for d in dims) or math.prod(dims) > MAX_ELEMENTS


def _tensor_fault(tensor) -> str | None:
    if tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data):
        return "refers to external data; only self-contained files are read"
    if _too_large(tensor.dims):
        return f"has dimensions {list(tensor.dims)}, too large"
    return None


def walk_tensors(model: onnx.ModelProto) -> tuple[list[str], int, list[str]]:
    """(refusals for every tensor that is external or too large, nodes in all graphs, places of
    nested graphs). Looks at every message that can hold a tensor, without reading any data;
    stops at more than MAX_NODES nodes in all graphs together."""
    problems: list[str] = []
    nested: list[str] = []
    nodes = parts = 0
    queue: deque[tuple[Place, object]] = deque([(None, model)])
    while queue:
        place, message = queue.popleft()
        parts += 1
        if parts > MAX_PARTS:
            return [f"the file has more than {MAX_PARTS:,} parts"], nodes, nested
        for field, value in message.ListFields():
            kind = field.message_type.full_name if field.message_type is not None else None
            if kind not in HOLDERS:
                continue
            items = [value] if hasattr(value, "ListFields") else value
            several = len(items) > 1
            for index, item in enumerate(items):
                if kind == NODE:
                    nodes += 1
                    if nodes > MAX_NODES:  # refused for that alone: nothing in it is read
                        return [f"more than {MAX_NODES:,} nodes"], nodes, nested
                    if not item.attribute:  # only attributes hold tensors in a node
                        continue
                where = (place, field.name, item, index if several else None)
                if kind == TENSOR.full_name:
                    fault = _tensor_fault(item)
                    if fault:
                        problems.append(f"{spell(where)} {fault}")
                    continue
                if kind == SPARSE.full_name and _too_large(item.dims):
                    problems.append(f"{spell(where)} has dimensions {list(item.dims)}, too large")
                if kind == GRAPH and _depth(place, "attribute") == 1:
                    nested.append(spell(place))  # the outermost: graphs within it go with it
                queue.append((where, item))
    return problems, nodes, nested


def read_model(data: bytes) -> onnx.ModelProto:
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            [f"the file is {len(data) / 2**20:.0f} MiB, over {MAX_FILE_BYTES >> 20} MiB"]
        )
    model = onnx.ModelProto()
    try:  # the bytes themselves: nothing here resolves a path or loads external data
        model.ParseFromString(data)
    except Exception as exc:  # truncated, too deeply nested, or not ONNX at all
        raise ImportRefused([f"not a readable ONNX file ({type(exc).__name__})"]) from None
    if len(model.graph.node) > MAX_NODES:
        raise ImportRefused([f"{len(model.graph.node):,} nodes, more than {MAX_NODES:,}"])
    reasons, _, nested = walk_tensors(model)
    for place in dict.fromkeys(nested):
        reasons.append(f"{place} holds a nested graph")
    for function in model.functions:  # they could stand in for a standard operator's name
        reasons.append(
            f"function {function.name[:60]!r} is defined in the file; only the standard ONNX "
            "operators are read"
        )
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            reasons.append(
                f"node {node.name or '(unnamed)'!r} ({node.op_type}) is of the operator domain "
                f"{node.domain[:40]!r}; only the standard ONNX operators are read"
            )
    if reasons:
        more = len(reasons) - SHOWN
        raise ImportRefused(reasons[:SHOWN] + ([f"and {more:,} more"] if more > 0 else []))
    return model


def tensor_array(tensor, place: str) -> np.ndarray:
    """A tensor written in the file as an array; never reads anything outside the file."""
    fault = _tensor_fault(tensor)
    if fault:
        raise ImportRefused([f"{place} {fault}"])
    try:
        return numpy_helper.to_array(tensor)
    except Exception as exc:  # data that does not match its dimensions or type
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ImportRefused([f"{place} cannot be read as an array ({first})"]) from None


def graph_input(graph) -> tuple[str, list[int]]:
    names = {t.name for t in graph.initializer} | {t.values.name for t in graph.sparse_initializer}
    inputs = [i for i in graph.input if i.name not in names]
    if len(inputs) != 1:
        raise ImportRefused([f"the graph has {len(inputs)} inputs; one is supported"])
    dims = inputs[0].type.tensor_type.shape.dim
    shape = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    if len(shape) < 2 or any(v is None or not 0 < v <= MAX_DIM for v in shape[1:]):
        raise ImportRefused([f"input {inputs[0].name!r} needs a fixed sample shape, got {shape}"])
    return inputs[0].name, shape[1:]


def check_batch(graph, input_name: str) -> int:
    """The batch the output check runs: the file's own when it fixes one, else 2."""
    dims = next(i for i in graph.input if i.name == input_name).type.tensor_type.shape.dim
    fixed = dims[0].dim_value if dims[0].HasField("dim_value") else 0
    if fixed > MAX_CHECK_BATCH:
        raise ImportRefused(
            [f"input {input_name!r} fixes the batch at {fixed:,}; export it with a dynamic "
             f"batch or one of at most {MAX_CHECK_BATCH}"]
        )  # fmt: skip
    return fixed or 2


def node_name(node) -> str:
    parts = [p for p in (node.name or "").strip("/").split("/") if p][:-1]
    # PyTorch names nodes by module path: "/block/conv/Conv", "/net/net.0/Gemm".
    wanted = (parts[-1] if "." in parts[-1] else "_".join(parts)) if parts else node.op_type.lower()
    return re.sub(r"\W", "_", wanted).strip("_") or node.op_type.lower()
