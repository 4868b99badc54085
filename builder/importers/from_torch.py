"""A PyTorch module, traced with torch.fx (or captured with torch.export where fx cannot),
mapped onto layer kinds with its weights.

Modules (nn.Conv2d, nn.Linear, nn.LSTM, ... inside any nn.Sequential or nested module) and their
functional forms (F.relu, torch.tanh, F.max_pool2d, x.view(x.size(0), -1), torch.flatten,
reshape, torch.cat, +) map onto one node each; node ids come from the module path
(`features.0` -> `features_0`). What does not map is refused by name and place.
"""

from __future__ import annotations

import operator
import re

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F
from torch.fx.passes.shape_prop import ShapeProp

from builder.importers.from_export import map_exported
from builder.importers.graph import (
    ImportedNode,
    ImportRefused,
    NodeMaker,
    PendingRecurrent,
    build_design,
    output_difference,
)
from builder.importers.params import activation_params, pool_params
from builder.importers.torch_modules import (
    ACTIVATION_FUNCTIONS,
    ACTIVATION_METHODS,
    ACTIVATION_MODULES,
    RECURRENT,
    SUPPORTED,
    activation_options,
    map_module,
)

SEQUENCE = "sequence"  # marker: the whole output sequence of a recurrent layer, not yet a node


class _Mapper(NodeMaker):
    def __init__(self, gm: torch.fx.GraphModule, input_shape):
        super().__init__()
        self.gm = gm
        self.modules = dict(gm.named_modules())
        self.input_shape = list(input_shape)
        self.value: dict[torch.fx.Node, object] = {}  # fx node -> our node id (or a marker)

    # -- helpers -----------------------------------------------------------------------------
    def shape(self, node: torch.fx.Node) -> list[int] | None:
        meta = node.meta.get("tensor_meta")
        return list(meta.shape)[1:] if hasattr(meta, "shape") else None

    def place(self, node: torch.fx.Node) -> str:
        if node.op == "call_module":
            return f"module {node.target!r}"
        what = getattr(node.target, "__name__", str(node.target))
        if node.op == "call_method":
            what = f".{node.target}()"
        elif getattr(node.target, "__module__", "") in ("torch", "torch._C._VariableFunctions"):
            what = f"torch.{what}"
        line = re.findall(r"line (\d+), in forward", node.stack_trace or "")
        return f"{what} at forward line {line[-1]}" if line else f"{what} ({node.name})"

    def refuse(self, node: torch.fx.Node, why: str) -> None:
        self.refused.append(f"{self.place(node)}: {why}")

    def add(self, node, kind, params, inputs, weights=None, name=None) -> str:
        stack = node.meta.get("nn_module_stack") if node.op != "call_module" else None
        if name is None and stack:  # an operation inside a submodule is named after it
            name = list(stack)[-1]
        node_id = self.make(name or node.name, kind, params, inputs, weights)
        self.value[node] = node_id
        return node_id

    def source(self, arg) -> str | None:
        """Our node id for an fx argument (materializing a recurrent layer's sequence)."""
        found = self.value.get(arg) if isinstance(arg, torch.fx.Node) else None
        if isinstance(found, tuple) and found[0] == SEQUENCE:
            return self.materialize(found[1], return_sequences=True)
        return found if isinstance(found, str) else None

    # -- the walk ----------------------------------------------------------------------------
    def run(self) -> tuple[list[ImportedNode], str]:
        output = None
        for node in self.gm.graph.nodes:
            try:
                if node.op == "placeholder":
                    if any(n.type == "Input" for n in self.nodes):
                        self.refuse(node, "a model with several inputs cannot be mapped")
                    self.add(node, "Input", {"shape": self.input_shape}, [], name=str(node.target))
                elif node.op == "output":
                    result = node.args[0]
                    if not isinstance(result, torch.fx.Node):
                        self.refuse(node, "the model must return one tensor")
                    else:
                        output = self.source(result)
                elif node.op == "call_module":
                    self.module(node, self.modules[node.target])
                elif node.op == "call_function":
                    self.function(node)
                elif node.op == "call_method":
                    self.method(node)
                elif node.op == "get_attr":
                    self.refuse(
                        node, "uses a tensor attribute directly (a parameter outside a layer)"
                    )
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                self.refuse(node, f"cannot be mapped ({exc})")
        if output is None and not self.refused:
            self.refused.append("the model's output could not be traced to a layer")
        return self.nodes, output

    def inputs_of(self, node) -> list[str]:
        first = node.args[0]
        found = self.source(first)
        if found is None:
            raise ValueError("its input is not a traced tensor")
        return [found]

    def module(self, node, m: nn.Module) -> None:
        name = str(node.target)
        shape_in = self.shape(node.args[0]) if isinstance(node.args[0], torch.fx.Node) else None
        if isinstance(m, nn.Identity):
            self.value[node] = self.inputs_of(node)[0]
            return
        if type(m) in RECURRENT:
            self.recurrent_module(node, m)
            return
        if type(m) in ACTIVATION_MODULES:
            self.activation(node, ACTIVATION_MODULES[type(m)], activation_options(m), name)
            return
        mapped = map_module(m, shape_in)
        if isinstance(mapped, str):
            self.refuse(node, mapped)
            return
        kind, params = mapped
        self.add(node, kind, params, self.inputs_of(node), m.state_dict(), name=name)

    def recurrent_module(self, node, m) -> None:
        reasons = []
        if not m.batch_first:
            reasons.append("needs batch_first=True (sequences are [batch, time, features])")
        if not m.bias:
            reasons.append("needs bias=True")
        if getattr(m, "proj_size", 0):
            reasons.append("proj_size is not supported")
        if isinstance(m, nn.RNN) and m.nonlinearity != "tanh":
            reasons.append("only the tanh nonlinearity is supported")
        if len(node.args) > 1 or node.kwargs:
            reasons.append("an initial state cannot be given")
        if reasons:
            self.refuse(node, "; ".join(reasons))
            return
        params = {
            "hidden_size": m.hidden_size,
            "num_layers": m.num_layers,
            "bidirectional": m.bidirectional,
            "dropout": float(m.dropout),
        }
        pending = PendingRecurrent(
            RECURRENT[type(m)], params, self.inputs_of(node)[0], m.state_dict(), str(node.target)
        )
        self.value[node] = ("recurrent", pending)

    def activation(self, node, act, options, name=None) -> None:
        params = activation_params(act, options, len(self.shape(node) or []) + 1)
        self.add(node, "Activation", params, self.inputs_of(node), name=name)

    def function(self, node) -> None:
        target = node.target
        if target in ACTIVATION_FUNCTIONS:
            args = dict(node.kwargs)
            extra = {"leaky_relu": "negative_slope", "softmax": "dim", "log_softmax": "dim",
                     "elu": "alpha"}.get(ACTIVATION_FUNCTIONS[target])  # fmt: skip
            if extra and len(node.args) > 1:
                args[extra] = node.args[1]
            self.activation(node, ACTIVATION_FUNCTIONS[target], args)
        elif target is operator.getitem:
            self.getitem(node)
        elif target in (operator.add, torch.add, operator.iadd):
            a, b = node.args[:2]
            ids = [self.source(a), self.source(b)]
            if None in ids or node.kwargs:
                self.refuse(node, "adds something other than two layer outputs")
            else:
                self.add(node, "Add", {}, ids)
        elif target is torch.cat:
            tensors = node.args[0]
            dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
            rank = len(self.shape(node) or []) + 1
            dim = dim + rank if dim < 0 else dim
            ids = [self.source(t) for t in tensors]
            if None in ids or dim == 0:
                self.refuse(node, "joins something other than layer outputs along a sample axis")
            else:
                self.add(node, "Concat", {"dim": dim - 1}, ids)
        elif target is torch.flatten:
            start = node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0)
            self.reshape(node, start_dim=start)
        elif target in (torch.reshape,):
            self.reshape(node)
        elif target in (F.max_pool2d, F.avg_pool2d):
            self.pool_function(node)
        elif target in (F.interpolate,):
            self.interpolate(node)
        elif target is F.dropout:
            p = node.args[1] if len(node.args) > 1 else node.kwargs.get("p", 0.5)
            self.add(node, "Dropout", {"p": float(p)}, self.inputs_of(node))
        else:
            self.refuse(node, "this operation has no layer kind")

    def method(self, node) -> None:
        name = node.target
        if name == "size" or name == "dim":
            self.value[node] = "size"
        elif name in ("view", "reshape"):
            self.reshape(node)
        elif name == "flatten":
            start = node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0)
            self.reshape(node, start_dim=start)
        elif name in ("contiguous",):
            self.value[node] = self.inputs_of(node)[0]
        elif name in ACTIVATION_METHODS:
            args = dict(node.kwargs)
            if len(node.args) > 1:
                args["dim"] = node.args[1]
            self.activation(node, ACTIVATION_METHODS[name], args)
        else:
            self.refuse(node, "this tensor method has no layer kind")

    def getitem(self, node) -> None:
        base, index = node.args
        found = self.value.get(base)
        if isinstance(found, tuple) and found[0] == "recurrent":
            if index == 0:
                self.value[node] = (SEQUENCE, found[1])
            else:
                self.value[node] = ("state", found[1])
            return
        if isinstance(found, tuple) and found[0] == SEQUENCE:
            last = (
                isinstance(index, tuple)
                and len(index) == 2
                and index[0] == slice(None)
                and index[1] == -1
            )
            if last:
                self.value[node] = self.materialize(found[1], return_sequences=False)
                return
        self.refuse(node, "indexing other than a sequence's last step ([:, -1]) has no layer kind")

    def reshape(self, node, start_dim=None) -> None:
        shape_in = self.shape(node.args[0])
        shape_out = self.shape(node)
        if shape_out is None or shape_in is None:
            raise ValueError("its shapes are unknown")
        if start_dim is not None and start_dim not in (1, -len(shape_in)):
            raise ValueError(f"flattens from dim {start_dim}; only dim 1 keeps the batch")
        kind, params = ("Flatten", {}) if len(shape_out) == 1 else ("Reshape", {"shape": shape_out})
        self.add(node, kind, params, self.inputs_of(node))

    def pool_function(self, node) -> None:
        names = ("kernel_size", "stride", "padding")
        args = dict(zip(names, node.args[1:], strict=False)) | dict(node.kwargs)
        kind = "MaxPool2d" if node.target is F.max_pool2d else "AvgPool2d"
        extras = {
            k: v for k, v in args.items() if k not in names and v not in (False, 1, None, True)
        }
        if extras:
            raise ValueError(f"unsupported {sorted(extras)}")
        params = pool_params(args.get("kernel_size"), args.get("stride"), args.get("padding", 0))
        self.add(node, kind, params, self.inputs_of(node))

    def interpolate(self, node) -> None:
        kwargs = dict(node.kwargs)
        scale, mode = kwargs.get("scale_factor"), kwargs.get("mode", "nearest")
        if len(node.args) > 2:
            scale = node.args[2]
        if not isinstance(scale, int | float) or mode not in ("nearest", "bilinear"):
            self.refuse(node, "only interpolate(scale_factor=s, mode nearest|bilinear)")
            return
        if kwargs.get("align_corners"):
            self.refuse(node, "align_corners=True is not supported")
            return
        self.add(
            node, "Upsample", {"scale_factor": float(scale), "mode": mode}, self.inputs_of(node)
        )


def trace(module: nn.Module) -> torch.fx.GraphModule:
    tracer = torch.fx.Tracer()
    tracer.record_stack_traces = True
    try:
        graph = tracer.trace(module)
    except Exception as exc:  # the user's code decides; any failure is a message
        raise ImportRefused(
            [f"torch.fx cannot trace {type(module).__name__}.forward ({type(exc).__name__}: {exc})"]
        ) from None
    return torch.fx.GraphModule(tracer.root, graph)


def import_module(module: nn.Module, input_shape, name: str | None = None):
    """(design, state_dict, max output difference) for `module` fed samples of `input_shape`.

    Traced with torch.fx; a module fx cannot trace (Python control flow on values) is captured
    with torch.export instead."""
    module = module.eval()
    input_shape = [int(v) for v in input_shape]
    lookups = [n for n, m in module.named_modules() if isinstance(m, nn.Embedding)]
    if lookups:  # it reads token ids, not numbers: tracing it with numbers says nothing useful
        raise ImportRefused(
            [
                f"nn.Embedding at {lookups[0]}: a model of tokens cannot be imported; build it on "
                "the canvas from Embedding, PositionalEncoding, MultiheadAttention and "
                "TransformerEncoderLayer"
            ],
            SUPPORTED,
        )
    example = torch.randn(2, *input_shape, generator=torch.Generator().manual_seed(0))
    try:
        gm = trace(module)
    except ImportRefused as untraced:
        try:
            nodes, output = map_exported(module, input_shape, example)
        except ImportRefused as exc:
            raise ImportRefused(untraced.reasons + exc.reasons, SUPPORTED) from None
    else:
        try:
            ShapeProp(gm).propagate(example)
        except Exception as exc:
            shown = ", ".join(map(str, input_shape))
            raise ImportRefused(
                [f"the model does not run on input [batch, {shown}]: {exc}"]
            ) from None
        mapper = _Mapper(gm, input_shape)
        nodes, output = mapper.run()
        if mapper.refused:
            raise ImportRefused(mapper.refused, SUPPORTED)
    design, weights = build_design(name or type(module).__name__, nodes, output)
    with torch.no_grad():
        expected = module(example)
    diff = output_difference(design, weights, example, expected)
    if not diff <= 1e-4:
        raise ImportRefused([f"the mapped design's outputs differ from the model's by {diff:g}"])
    return design, weights, diff
