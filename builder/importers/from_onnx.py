"""An ONNX graph mapped onto layer kinds, its initializers as the weights (the file itself is
read, as data, by `onnx_file`)."""

from __future__ import annotations

import numpy as np
import onnx
import torch

from builder.importers.graph import ImportedNode, ImportRefused, NodeMaker, build_design
from builder.importers.onnx_check import checked_difference
from builder.importers.onnx_file import (
    check_batch,
    graph_input,
    node_name,
    read_model,
    tensor_array,
)
from builder.importers.onnx_folding import SizeArithmetic, inferred_shapes
from builder.importers.onnx_sequences import SequenceMoves, Value
from builder.importers.params import activation_params, pool_params, square
from builder.layers.norm import NORM_EPS, NORM_EPS_TEXT

SUPPORTED = (
    "Conv, ConvTranspose, Gemm, MatMul (+ Add), Relu, Sigmoid, Tanh, LeakyRelu, Elu, Softmax, "
    "LogSoftmax, Gelu, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, "
    "LayerNormalization, Flatten, Reshape, Concat, Add, LSTM, GRU, RNN, Dropout, Identity, "
    "Resize, Upsample (and the size arithmetic around them: Constant, Shape, Gather, Unsqueeze, "
    "Concat, Cast, Slice, ConstantOfShape, Expand, Range and the like, bounded)"
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


def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class _Mapper(SizeArithmetic, SequenceMoves, NodeMaker):
    def __init__(self, model: onnx.ModelProto, batch: int):
        super().__init__()
        self.graph = model.graph
        self.values: dict[str, Value] = {}
        self.folded: set[int] = set()  # Adds already part of the Dense before them
        for tensor in self.graph.initializer:
            array = tensor_array(tensor, f"initializer {tensor.name!r}")
            self.values[tensor.name] = Value("const", array=array)
        self.shapes = inferred_shapes(model, batch)
        self.consumers: dict[str, list] = {}
        for node in self.graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)

    def refuse(self, node, why: str) -> None:
        self.refused.append(f"ONNX node {node.name or '(unnamed)'!r} ({node.op_type}): {why}")

    def add(self, onnx_node, kind, params, inputs, weights=None, name=None) -> str:
        return self.make(name or node_name(onnx_node), kind, params, inputs, weights)

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

    def run(self, input_name: str, input_shape: list[int]) -> tuple[list[ImportedNode], str]:
        first = self.make("input", "Input", {"shape": input_shape}, [])
        self.values[input_name] = Value("tensor", node=first)
        for node in self.graph.node:
            try:
                self.map(node)
            except ImportRefused as exc:  # a tensor in the file that cannot be read
                self.refused.extend(exc.reasons)
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
            option = {"LeakyRelu": "negative_slope", "Elu": "alpha"}.get(op)
            options = {"dim": a.get("axis", -1), "approximate": a.get("approximate", "none")}
            if option:
                options[option] = a.get("alpha", 0.01 if op == "LeakyRelu" else 1.0)
            rank = len(self.shapes.get(node.output[0]) or []) or None
            params = activation_params(ACTIVATIONS[op], options, rank)
            self.out(
                node,
                Value("tensor", self.add(node, "Activation", params, [self.tensor(node.input[0])])),
            )
        elif op in ("Identity", "Dropout"):
            if (
                op == "Dropout"
                and len(node.output) > 1
                and node.output[1]
                and self.consumers.get(node.output[1])
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
        users = self.consumers.get(node.output[0], [])
        if bias is None and len(users) == 1 and users[0].op_type == "Add":
            follower = users[0]
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
            self.folded.add(id(follower))

    def add_op(self, node) -> None:
        if id(node) in self.folded:
            return
        ids = [self.tensor(i) for i in node.input]
        self.out(node, Value("tensor", self.add(node, "Add", {}, ids)))

    def pool(self, node, a) -> None:
        k, pads, strides = (
            a["kernel_shape"],
            a.get("pads", [0] * 4),
            a.get("strides", a["kernel_shape"]),
        )
        if a.get("ceil_mode", 0):
            raise ValueError("ceil_mode 1 is not supported")
        if node.op_type == "AveragePool" and pads[0] and not a.get("count_include_pad", 0):
            raise ValueError("padded average pooling must count the padding")
        if any(d != 1 for d in a.get("dilations", [1])):
            raise ValueError("dilated pooling is not supported")
        params = pool_params(k, strides, square(pads, "pads"))
        kind = "MaxPool2d" if node.op_type == "MaxPool" else "AvgPool2d"
        self.out(node, Value("tensor", self.add(node, kind, params, [self.tensor(node.input[0])])))

    def batchnorm(self, node, a) -> None:
        if abs(a.get("epsilon", NORM_EPS) - NORM_EPS) > 1e-9:
            raise ValueError(f"epsilon {a.get('epsilon')} (the design's is {NORM_EPS_TEXT})")
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
        if axis != expected or abs(a.get("epsilon", NORM_EPS) - NORM_EPS) > 1e-9:
            raise ValueError(
                f"normalizes from axis {a.get('axis', -1)} with epsilon {a.get('epsilon')}; the design's LayerNorm normalizes each sample's features (eps {NORM_EPS_TEXT})"
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


def import_onnx(data: bytes, name: str = "imported"):
    """(design, state_dict, max output difference against the file run in onnxruntime, in a
    limited process of its own, on a random batch); a refusal when they differ."""
    model = read_model(data)
    input_name, input_shape = graph_input(model.graph)
    batch = check_batch(model.graph, input_name)
    mapper = _Mapper(model, batch)
    nodes, output = mapper.run(input_name, input_shape)
    if mapper.refused:
        raise ImportRefused(mapper.refused, SUPPORTED)
    design, weights = build_design(name, nodes, output)
    output_name = model.graph.output[0].name
    diff = checked_difference(design, weights, data, input_name, [batch, *input_shape], output_name)
    return design, weights, diff
