"""Reading an ONNX file as data: parsed with the `onnx` package, nothing in it runs. External
data, nested graphs (If, Loop, Scan) and absurd sizes are refused before anything is built."""

from __future__ import annotations

import math
import re

import onnx

from builder.importers.graph import ImportRefused

MAX_FILE_BYTES = 512 * 2**20
MAX_DIM = 2**20
MAX_NODES = 20_000


def read_model(data: bytes) -> onnx.ModelProto:
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            [f"the file is {len(data) / 2**20:.0f} MiB, over {MAX_FILE_BYTES >> 20} MiB"]
        )
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # truncated or not ONNX at all
        raise ImportRefused([f"not a readable ONNX file ({type(exc).__name__})"]) from None
    graph = model.graph
    reasons = []
    for tensor in graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL or tensor.external_data:
            reasons.append(
                f"initializer {tensor.name!r} refers to external data; only self-contained files are read"
            )
        if any(d < 0 or d > MAX_DIM for d in tensor.dims) or math.prod(tensor.dims) > 2**28:
            reasons.append(
                f"initializer {tensor.name!r} has dimensions {list(tensor.dims)}, too large"
            )
    if len(graph.node) > MAX_NODES:
        reasons.append(f"{len(graph.node):,} nodes, more than {MAX_NODES:,}")
    for node in graph.node:
        for attr in node.attribute:
            if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                reasons.append(
                    f"node {node.name or node.op_type!r} ({node.op_type}) holds a nested graph"
                )
    if reasons:
        raise ImportRefused(reasons)
    return model


def graph_input(graph) -> tuple[str, list[int]]:
    names = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in names]
    if len(inputs) != 1:
        raise ImportRefused([f"the graph has {len(inputs)} inputs; one is supported"])
    dims = inputs[0].type.tensor_type.shape.dim
    shape = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    if len(shape) < 2 or any(v is None or not 0 < v <= MAX_DIM for v in shape[1:]):
        raise ImportRefused([f"input {inputs[0].name!r} needs a fixed sample shape, got {shape}"])
    return inputs[0].name, shape[1:]


def node_name(node) -> str:
    parts = [p for p in (node.name or "").strip("/").split("/") if p][:-1]
    # PyTorch names nodes by module path: "/block/conv/Conv", "/net/net.0/Gemm".
    wanted = (parts[-1] if "." in parts[-1] else "_".join(parts)) if parts else node.op_type.lower()
    return re.sub(r"\W", "_", wanted).strip("_") or node.op_type.lower()
