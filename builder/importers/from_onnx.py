"""An ONNX graph mapped onto layer kinds, its initializers as the weights.

An ONNX file is data: it is parsed with the `onnx` package and nothing in it runs. External data,
nested graphs (If, Loop, Scan) and absurd sizes are refused before anything is built.
"""

from __future__ import annotations

import importlib.util
import math
import re
from dataclasses import dataclass

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from builder.codegen.model_source import build_model
from builder.importers.graph import ImportedNode, ImportRefused, build_design, unique_id

MAX_FILE_BYTES = 512 * 2**20
MAX_DIM = 2**20
MAX_NODES = 20_000
SUPPORTED = (
    "Conv, ConvTranspose, Gemm, MatMul (+ Add), Relu, Sigmoid, Tanh, LeakyRelu, Elu, Softmax, "
    "LogSoftmax, Gelu, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, "
    "LayerNormalization, Flatten, Reshape, Concat, Add, LSTM, GRU, RNN, Dropout, Identity, "
    "Resize, Upsample (and the Shape, Gather, Transpose, Squeeze arithmetic around them)"
)
ACTIVATIONS = {
    "Relu": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "LeakyRelu": "leaky_relu",
    "Elu": "elu",
    "Softmax": "softmax",
    "LogSoftmax": "log_softmax",
    "Gelu": "gelu",
}
# ONNX's gate order -> PyTorch's: LSTM i,o,f,c -> i,f,c,o; GRU z,r,h -> r,z,n.
GATES = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}


@dataclass
class Value:
    """What an ONNX value is to the mapping."""

    kind: str  # "tensor" (a node's output), "const", "shape" (size arithmetic), "sequence", "state"
    node: str | None = None  # our node id, for a tensor
    layout: str = "batch"  # "batch": [N, ...]; "time": [T, N, F]; "time_dirs": [T, dirs, N, H]
    array: np.ndarray | None = None
    pending: dict | None = None  # a recurrent layer not yet made a node


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


def _input_shape(graph) -> tuple[str, list[int]]:
    names = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in names]
    if len(inputs) != 1:
        raise ImportRefused([f"the graph has {len(inputs)} inputs; one is supported"])
    dims = inputs[0].type.tensor_type.shape.dim
    shape = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    if len(shape) < 2 or any(v is None or not 0 < v <= MAX_DIM for v in shape[1:]):
        raise ImportRefused([f"input {inputs[0].name!r} needs a fixed sample shape, got {shape}"])
    return inputs[0].name, shape[1:]


def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _node_name(node) -> str:
    parts = [p for p in (node.name or "").strip("/").split("/") if p][:-1]
    # PyTorch names nodes by module path: "/block/conv/Conv", "/net/net.0/Gemm".
    wanted = (parts[-1] if "." in parts[-1] else "_".join(parts)) if parts else node.op_type.lower()
    return re.sub(r"\W", "_", wanted).strip("_") or node.op_type.lower()


class _Mapper:
    def __init__(self, model: onnx.ModelProto):
        self.graph = model.graph
        self.values: dict[str, Value] = {}
        self.nodes: list[ImportedNode] = []
        self.taken: set[str] = set()
        self.refused: list[str] = []
        for tensor in self.graph.initializer:
            self.values[tensor.name] = Value("const", array=numpy_helper.to_array(tensor))
        self.shapes = {}
        try:  # with the batch fixed, shape inference works out reshape targets made of sizes
            fixed = onnx.ModelProto()
            fixed.CopyFrom(model)
            names = {t.name for t in fixed.graph.initializer}
            for graph_input in fixed.graph.input:
                if graph_input.name not in names and graph_input.type.tensor_type.shape.dim:
                    graph_input.type.tensor_type.shape.dim[0].dim_value = 2
            inferred = onnx.shape_inference.infer_shapes(fixed, strict_mode=False, data_prop=True)
            for info in list(inferred.graph.value_info) + list(inferred.graph.output):
                dims = info.type.tensor_type.shape.dim
                self.shapes[info.name] = [
                    d.dim_value if d.HasField("dim_value") else None for d in dims
                ]
        except Exception:  # shapes are then only what the mapping itself knows
            pass
        self.users: dict[str, int] = {}
        for node in self.graph.node:
            for name in node.input:
                self.users[name] = self.users.get(name, 0) + 1

    def refuse(self, node, why: str) -> None:
        self.refused.append(f"ONNX node {node.name or '(unnamed)'!r} ({node.op_type}): {why}")

    def add(self, onnx_node, kind, params, inputs, weights=None, name=None) -> str:
        node_id = unique_id(name or _node_name(onnx_node), self.taken)
        self.nodes.append(ImportedNode(node_id, kind, params, inputs, weights or {}))
        return node_id

    def tensor(self, name) -> str:
        """Our node id for a batch-first tensor value (a pending sequence becomes its node)."""
        value = self.values.get(name)
        if value is None:
            raise ValueError(f"input {name!r} is not known")
        if value.kind == "sequence" and value.layout == "batch":
            return self.materialize(value.pending, return_sequences=True)
        if value.kind != "tensor" or value.layout != "batch":
            raise ValueError(f"input {name!r} is not a layer's batch-first output")
        return value.node

    def const(self, name) -> np.ndarray:
        value = self.values.get(name)
        if value is None or value.kind != "const":
            raise ValueError(f"{name!r} must be a constant")
        return value.array

    def out(self, node, value: Value) -> None:
        for name in node.output[:1]:
            self.values[name] = value

    def materialize(self, pending: dict, return_sequences: bool) -> str:
        if pending.get("id"):
            if pending["return_sequences"] != return_sequences:
                raise ValueError("both the whole sequence and its last step are used")
            return pending["id"]
        pending["return_sequences"] = return_sequences
        params = {**pending["params"], "return_sequences": return_sequences}
        pending["id"] = self.add(pending["onnx"], pending["type"], params, [pending["input"]],
                                 pending["weights"])  # fmt: skip
        return pending["id"]

    def run(self, input_name: str, input_shape: list[int]) -> tuple[list[ImportedNode], str]:
        first = unique_id("input", self.taken)
        self.nodes.append(ImportedNode(first, "Input", {"shape": input_shape}, []))
        self.values[input_name] = Value("tensor", node=first)
        for node in self.graph.node:
            try:
                self.map(node)
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                self.refuse(node, str(exc))
        if len(self.graph.output) != 1:
            self.refused.append(f"the graph has {len(self.graph.output)} outputs; one is supported")
            return self.nodes, first
        try:
            return self.nodes, self.tensor(self.graph.output[0].name)
        except ValueError as exc:
            if not self.refused:
                self.refused.append(f"the output: {exc}")
            return self.nodes, first

    # -- operators ---------------------------------------------------------------------------
    def map(self, node) -> None:
        op, a = node.op_type, _attrs(node)
        if op == "Shape":
            self.out(node, Value("shape"))
            return
        if all(
            self.values.get(i) is not None and self.values[i].kind in ("const", "shape")
            for i in node.input
            if i
        ):
            self.size_arithmetic(node, a)
            return
        if op in ACTIVATIONS:
            params = {"activation": ACTIVATIONS[op]}
            if op == "LeakyRelu":
                params["negative_slope"] = round(float(a.get("alpha", 0.01)), 6)
            if op == "Elu" and abs(a.get("alpha", 1.0) - 1.0) > 1e-6:
                raise ValueError("only Elu with alpha 1 is supported")
            if op == "Gelu" and a.get("approximate", b"none") not in (b"none", "none"):
                raise ValueError("only the exact Gelu is supported")
            if op in ("Softmax", "LogSoftmax"):
                rank = len(self.shapes.get(node.output[0]) or []) or None
                axis = a.get("axis", -1)
                axis = axis + rank if rank and axis < 0 else axis
                expected = 1 if rank == 4 else (rank - 1 if rank else -1)
                if axis != expected:
                    raise ValueError(f"over axis {a.get('axis', -1)} (the design's is {expected})")
            self.out(
                node,
                Value("tensor", self.add(node, "Activation", params, [self.tensor(node.input[0])])),
            )
        elif op in ("Identity", "Dropout"):
            if (
                op == "Dropout"
                and len(node.output) > 1
                and node.output[1]
                and self.users.get(node.output[1])
            ):
                raise ValueError("its mask output is used")
            self.out(node, self.values[node.input[0]])
        elif op in ("Conv", "ConvTranspose"):
            self.conv(node, a)
        elif op == "Gemm":
            if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or a.get("transA", 0):
                raise ValueError("only Gemm with alpha 1, beta 1 and no transA")
            weight = self.const(node.input[1])
            weight = weight if a.get("transB", 0) else weight.T
            bias = self.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            self.dense(node, weight, bias)
        elif op == "MatMul":
            weight = self.const(node.input[1]).T
            self.dense(node, weight, None)
        elif op == "Add":
            self.add_op(node)
        elif op in ("MaxPool", "AveragePool"):
            self.pool(node, a)
        elif op == "GlobalAveragePool":
            shape = self.shapes.get(node.input[0])
            if not shape or len(shape) != 4 or shape[2] != shape[3] or not shape[2]:
                raise ValueError("only square images can be pooled globally")
            params = {"kernel_size": shape[2], "stride": None, "padding": 0}
            self.out(
                node,
                Value("tensor", self.add(node, "AvgPool2d", params, [self.tensor(node.input[0])])),
            )
        elif op == "BatchNormalization":
            self.batchnorm(node, a)
        elif op == "LayerNormalization":
            self.layernorm(node, a)
        elif op in ("Flatten", "Reshape"):
            self.reshape(node, a)
        elif op == "Concat":
            rank = len(self.shapes.get(node.output[0]) or []) or 2
            axis = a["axis"] + rank if a["axis"] < 0 else a["axis"]
            if axis == 0:
                raise ValueError("joins along the batch")
            ids = [self.tensor(i) for i in node.input]
            self.out(node, Value("tensor", self.add(node, "Concat", {"dim": axis - 1}, ids)))
        elif op in ("Resize", "Upsample"):
            self.resize(node, a)
        elif op == "Transpose":
            self.transpose(node, a)
        elif op == "Squeeze":
            self.squeeze(node, a)
        elif op == "Gather":
            self.gather(node, a)
        elif op in ("LSTM", "GRU", "RNN"):
            self.recurrent(node, a)
        else:
            raise ValueError(f"{op} has no layer kind")

    def size_arithmetic(self, node, a) -> None:
        """Operations on constants and sizes only (initial states, reshape targets)."""
        if node.op_type == "Constant":
            self.out(
                node,
                Value("const", array=numpy_helper.to_array(a["value"]))
                if "value" in a
                else Value("shape"),
            )
        else:
            for name in node.output:
                self.values[name] = Value("shape")

    def conv(self, node, a) -> None:
        weight = self.const(node.input[1])
        bias = self.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        k = a.get("kernel_shape", list(weight.shape[2:]))
        pads, strides, dil = (
            a.get("pads", [0] * 4),
            a.get("strides", [1, 1]),
            a.get("dilations", [1, 1]),
        )
        if (
            len(k) != 2
            or len(set(k)) != 1
            or len(set(pads)) != 1
            or len(set(strides)) != 1
            or len(set(dil)) != 1
        ):
            raise ValueError("only square 2-D kernels, strides, dilations and even padding")
        if a.get("group", 1) != 1 or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise ValueError("groups and auto_pad are not supported")
        transposed = node.op_type == "ConvTranspose"
        params = {
            "out_channels": int(weight.shape[1 if transposed else 0]),
            "kernel_size": int(k[0]),
            "stride": int(strides[0]),
            "padding": int(pads[0]),
            "dilation": int(dil[0]),
            "bias": bias is not None,
        }
        if transposed:
            op = a.get("output_padding", [0, 0])
            if len(set(op)) != 1 or a.get("output_shape"):
                raise ValueError("only even output_padding and no output_shape")
            params["output_padding"] = int(op[0])
        weights = {"weight": torch.from_numpy(weight.copy())}
        if bias is not None:
            weights["bias"] = torch.from_numpy(bias.copy())
        kind = "ConvTranspose2d" if transposed else "Conv2d"
        self.out(
            node,
            Value("tensor", self.add(node, kind, params, [self.tensor(node.input[0])], weights)),
        )

    def dense(self, node, weight: np.ndarray, bias) -> None:
        source = self.tensor(node.input[0])
        # A MatMul whose only use is an Add of a constant is one Dense with a bias.
        follower = None
        if bias is None and self.users.get(node.output[0]) == 1:
            follower = next(
                (n for n in self.graph.node if node.output[0] in n.input and n.op_type == "Add"),
                None,
            )
            other = [i for i in (follower.input if follower else []) if i != node.output[0]]
            if (
                follower is not None
                and other
                and self.values.get(other[0], Value("x")).kind == "const"
            ):
                bias = self.values[other[0]].array.reshape(-1)
            else:
                follower = None
        weights = {"weight": torch.from_numpy(np.array(weight, dtype=np.float32, copy=True))}
        if bias is not None:
            weights["bias"] = torch.from_numpy(np.array(bias, dtype=np.float32, copy=True))
        params = {"out_features": int(weight.shape[0]), "bias": bias is not None}
        value = Value("tensor", self.add(node, "Dense", params, [source], weights))
        self.out(node, value)
        if follower is not None:
            self.values[follower.output[0]] = value
            self.skip = getattr(self, "skip", set()) | {id(follower)}

    def add_op(self, node) -> None:
        if id(node) in getattr(self, "skip", set()):
            return
        ids = [self.tensor(i) for i in node.input]
        self.out(node, Value("tensor", self.add(node, "Add", {}, ids)))

    def pool(self, node, a) -> None:
        k, pads, strides = (
            a["kernel_shape"],
            a.get("pads", [0] * 4),
            a.get("strides", a["kernel_shape"]),
        )
        if (
            len(set(k)) != 1
            or len(set(pads)) != 1
            or len(set(strides)) != 1
            or a.get("ceil_mode", 0)
        ):
            raise ValueError("only square pooling, even padding and ceil_mode 0")
        if node.op_type == "AveragePool" and pads[0] and not a.get("count_include_pad", 0):
            raise ValueError("padded average pooling must count the padding")
        if any(d != 1 for d in a.get("dilations", [1])):
            raise ValueError("dilated pooling is not supported")
        stride = int(strides[0])
        params = {
            "kernel_size": int(k[0]),
            "stride": None if stride == k[0] else stride,
            "padding": int(pads[0]),
        }
        kind = "MaxPool2d" if node.op_type == "MaxPool" else "AvgPool2d"
        self.out(node, Value("tensor", self.add(node, kind, params, [self.tensor(node.input[0])])))

    def batchnorm(self, node, a) -> None:
        if abs(a.get("epsilon", 1e-5) - 1e-5) > 1e-9:
            raise ValueError(f"epsilon {a.get('epsilon')} (the design's is 1e-5)")
        scale, shift, mean, var = (self.const(i) for i in node.input[1:5])
        weights = {
            "weight": torch.from_numpy(scale.copy()),
            "bias": torch.from_numpy(shift.copy()),
            "running_mean": torch.from_numpy(mean.copy()),
            "running_var": torch.from_numpy(var.copy()),
            "num_batches_tracked": torch.tensor(0),
        }
        params = {"momentum": round(1.0 - float(a.get("momentum", 0.9)), 6)}
        self.out(
            node,
            Value(
                "tensor", self.add(node, "BatchNorm", params, [self.tensor(node.input[0])], weights)
            ),
        )

    def layernorm(self, node, a) -> None:
        shape = self.shapes.get(node.input[0]) or []
        axis = a.get("axis", -1)
        axis = axis + len(shape) if shape and axis < 0 else axis
        expected = 1 if len(shape) == 4 else len(shape) - 1
        if axis != expected or abs(a.get("epsilon", 1e-5) - 1e-5) > 1e-9:
            raise ValueError(
                f"normalizes from axis {a.get('axis', -1)} with epsilon {a.get('epsilon')}; the design's LayerNorm normalizes each sample's features (eps 1e-5)"
            )
        weights = {"weight": torch.from_numpy(self.const(node.input[1]).copy())}
        weights["bias"] = (
            torch.from_numpy(self.const(node.input[2]).copy())
            if len(node.input) > 2 and node.input[2]
            else torch.zeros_like(weights["weight"])
        )
        self.out(
            node,
            Value("tensor", self.add(node, "LayerNorm", {}, [self.tensor(node.input[0])], weights)),
        )

    def reshape(self, node, a) -> None:
        source = self.tensor(node.input[0])
        out = self.shapes.get(node.output[0])
        if node.op_type == "Flatten":
            if a.get("axis", 1) != 1:
                raise ValueError("only Flatten(axis=1) keeps the batch")
            self.out(node, Value("tensor", self.add(node, "Flatten", {}, [source])))
            return
        if not out or any(v is None for v in out[1:]):
            raise ValueError("its output shape is not known")
        kind, params = ("Flatten", {}) if len(out) == 2 else ("Reshape", {"shape": out[1:]})
        self.out(node, Value("tensor", self.add(node, kind, params, [source])))

    def resize(self, node, a) -> None:
        scales = None
        for name in node.input[1:]:
            value = self.values.get(name) if name else None
            if value is not None and value.kind == "const" and value.array.size == 4:
                scales = value.array
        if scales is None or scales[0] != 1 or scales[1] != 1 or scales[2] != scales[3]:
            raise ValueError("only scales [1, 1, s, s] from a constant")
        mode = a.get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        modes = {"nearest": "nearest", "linear": "bilinear"}
        if mode not in modes:
            raise ValueError(f"mode {mode!r} is not supported")
        transform = a.get("coordinate_transformation_mode", b"half_pixel")
        transform = transform.decode() if isinstance(transform, bytes) else transform
        if mode == "linear" and transform == "align_corners":
            raise ValueError("align_corners is not supported")
        params = {"scale_factor": float(scales[2]), "mode": modes[mode]}
        self.out(
            node, Value("tensor", self.add(node, "Upsample", params, [self.tensor(node.input[0])]))
        )

    # -- recurrent layers and the layout moves around them -----------------------------------
    def transpose(self, node, a) -> None:
        value = self.values[node.input[0]]
        perm = list(a.get("perm", []))
        if perm == [1, 0, 2] and value.layout in ("batch", "time"):
            layout = "time" if value.layout == "batch" else "batch"
            self.out(node, Value(value.kind, value.node, layout, pending=value.pending))
        elif perm == [0, 2, 1, 3] and value.layout == "time_dirs":
            self.out(node, Value(value.kind, value.node, "time_dirs_t", pending=value.pending))
        else:
            raise ValueError(
                f"transposes {perm}; only the moves between batch-first and time-first"
            )

    def squeeze(self, node, a) -> None:
        value = self.values[node.input[0]]
        axes = list(a.get("axes", [])) or (
            list(self.const(node.input[1])) if len(node.input) > 1 else []
        )
        if (
            value.layout == "time_dirs"
            and axes == [1]
            and value.pending["params"]["bidirectional"] is False
        ):
            self.out(node, Value("sequence", layout="time", pending=value.pending))
        else:
            raise ValueError("only squeezing a one-direction recurrent layer's output")

    def gather(self, node, a) -> None:
        value = self.values[node.input[0]]
        index = self.const(node.input[1])
        if (
            value.kind == "sequence"
            and value.layout == "batch"
            and a.get("axis", 0) == 1
            and index.size == 1
            and int(index.reshape(-1)[0]) == -1
        ):
            self.out(node, Value("tensor", self.materialize(value.pending, return_sequences=False)))
        else:
            raise ValueError("only the last step ([:, -1]) of a sequence can be gathered")

    def recurrent(self, node, a) -> None:
        op = node.op_type
        x = self.values[node.input[0]]
        if x.kind not in ("tensor", "sequence") or x.layout != "time":
            raise ValueError("its input must be a batch-first sequence moved time-first")
        source = (
            x.node if x.kind == "tensor" else self.materialize(x.pending, return_sequences=True)
        )
        if a.get("direction", b"forward") not in (b"forward", "forward"):
            raise ValueError("only the forward direction is supported")
        if op == "GRU" and a.get("linear_before_reset", 0) != 1:
            raise ValueError("GRU needs linear_before_reset=1 (PyTorch's GRU)")
        if op == "RNN" and [
            s.decode() if isinstance(s, bytes) else s for s in a.get("activations", ["Tanh"])
        ] != ["Tanh"]:
            raise ValueError("only the tanh RNN is supported")
        if any(a.get(k) for k in ("clip", "input_forget", "layout")):
            raise ValueError("clip, input_forget and layout=1 are not supported")
        for extra in node.input[4:]:
            if extra and self.values.get(extra, Value("x")).kind not in ("shape", "const"):
                raise ValueError(
                    "sequence lengths or initial states from the input are not supported"
                )
        hidden = int(a["hidden_size"])
        w, r = self.const(node.input[1])[0], self.const(node.input[2])[0]
        b = (
            self.const(node.input[3])[0]
            if len(node.input) > 3 and node.input[3]
            else np.zeros(2 * w.shape[0], np.float32)
        )
        order = GATES[op]

        def gates(t):
            parts = np.split(t, len(order), axis=0)
            return torch.from_numpy(np.ascontiguousarray(np.concatenate([parts[i] for i in order])))

        n = w.shape[0]
        weights = {
            "weight_ih_l0": gates(w),
            "weight_hh_l0": gates(r),
            "bias_ih_l0": gates(b[:n]),
            "bias_hh_l0": gates(b[n:]),
        }
        pending = {
            "onnx": node,
            "type": op,
            "params": {
                "hidden_size": hidden,
                "num_layers": 1,
                "bidirectional": False,
                "dropout": 0.0,
            },
            "input": source,
            "weights": weights,
        }
        self.values[node.output[0]] = Value("sequence", layout="time_dirs", pending=pending)
        for name in node.output[1:]:
            if name:
                self.values[name] = Value("state")


def import_onnx(data: bytes, name: str = "imported"):
    """(design, state_dict, max output difference against onnxruntime, when it is installed)."""
    model = read_model(data)
    input_name, input_shape = _input_shape(model.graph)
    mapper = _Mapper(model)
    nodes, output = mapper.run(input_name, input_shape)
    if mapper.refused:
        raise ImportRefused(mapper.refused, SUPPORTED)
    design, weights = build_design(name, nodes, output)
    return design, weights, _difference(design, weights, data, input_name, input_shape)


def _difference(design, weights, data: bytes, input_name: str, input_shape) -> float | None:
    if importlib.util.find_spec("onnxruntime") is None:
        return None
    import onnxruntime  # deferred on purpose: slow to import, and only this check needs it

    example = np.random.default_rng(0).standard_normal((2, *input_shape)).astype(np.float32)
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    theirs = session.run(None, {input_name: example})[0]
    model = build_model(design)
    model.load_state_dict(weights)
    model.eval()
    with torch.no_grad():
        ours = model(torch.from_numpy(example)).numpy()
    if ours.shape != theirs.shape:
        return math.inf
    return float(np.abs(ours - theirs).max())
