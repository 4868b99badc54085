"""A PyTorch module that torch.fx cannot trace (Python control flow on shapes, say), captured with
torch.export instead and mapped from its ATen operations; weights come from its state_dict."""

from __future__ import annotations

import operator
import re
import warnings

import torch

from builder.importers.graph import ImportRefused, NodeMaker, PendingRecurrent
from builder.importers.params import activation_params, pool_params
from builder.layers.norm import NORM_EPS, NORM_EPS_TEXT

aten = torch.ops.aten
ACTIVATIONS = {
    aten.relu.default: "relu",
    aten.tanh.default: "tanh",
    aten.sigmoid.default: "sigmoid",
    aten.gelu.default: "gelu",
    aten.silu.default: "silu",
    aten.elu.default: "elu",
    aten.leaky_relu.default: "leaky_relu",
    aten.softmax.int: "softmax",
    aten._softmax.default: "softmax",
    aten.log_softmax.int: "log_softmax",
    aten._log_softmax.default: "log_softmax",
}
PASS_THROUGH = {
    aten.alias.default,
    aten.detach.default,
    aten.contiguous.default,
    aten.clone.default,
}
RECURRENT = {aten.lstm.input: "LSTM", aten.gru.input: "GRU", aten.rnn_tanh.input: "RNN"}


class _Mapper(NodeMaker):
    def __init__(self, program, input_shape):
        super().__init__()
        self.program = program
        self.state = program.state_dict
        signature = program.graph_signature
        self.fqn = {**signature.inputs_to_parameters, **signature.inputs_to_buffers}
        self.input_shape = list(input_shape)
        self.value: dict = {}

    def place(self, node) -> str:
        what = str(node.target).replace("aten.", "torch.").split(".default")[0]
        line = re.findall(r"line (\d+), in forward", node.meta.get("stack_trace") or "")
        return f"{what} at forward line {line[-1]}" if line else f"{what} ({node.name})"

    def name_from(self, *params) -> str | None:
        for p in params:
            if p is not None and p.name in self.fqn:
                return self.fqn[p.name].rpartition(".")[0]
        return None

    def tensor_of(self, p) -> torch.Tensor:
        return self.state[self.fqn[p.name]].detach().clone()

    def add(self, node, kind, params, inputs, weights=None, name=None) -> str:
        node_id = self.make(name or node.name, kind, params, inputs, weights)
        self.value[node] = node_id
        return node_id

    def source(self, arg) -> str:
        found = self.value.get(arg)
        if isinstance(found, tuple) and found[0] == "sequence":
            return self.materialize(found[1], True)
        if not isinstance(found, str):
            raise ValueError("its input is not a layer's output")
        return found

    def sample_shape(self, node) -> list[int]:
        return list(node.meta["val"].shape)[1:]

    def run(self):
        output = None
        for node in self.program.graph.nodes:
            try:
                if node.op == "placeholder":
                    if node.name not in self.fqn:
                        self.add(node, "Input", {"shape": self.input_shape}, [], name=node.name)
                elif node.op == "output":
                    output = self.source(node.args[0][0])
                elif node.op == "call_function":
                    self.function(node)
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                self.refused.append(f"{self.place(node)}: {exc}")
        return self.nodes, output

    def function(self, node) -> None:
        t, a = node.target, node.args
        if t in PASS_THROUGH:
            self.value[node] = self.value.get(a[0])
        elif t in ACTIVATIONS:
            act = ACTIVATIONS[t]
            # The second argument is the slope, the dim or alpha, as the function names it.
            option = {"leaky_relu": "negative_slope", "elu": "alpha"}.get(act, "dim")
            options = dict(node.kwargs) | ({option: a[1]} if len(a) > 1 else {})
            params = activation_params(act, options, len(self.sample_shape(node)) + 1)
            self.add(node, "Activation", params, [self.source(a[0])])
        elif t is aten.linear.default:
            weights = {"weight": self.tensor_of(a[1])}
            if len(a) > 2 and a[2] is not None:
                weights["bias"] = self.tensor_of(a[2])
            params = {"out_features": int(weights["weight"].shape[0]), "bias": "bias" in weights}
            self.add(node, "Dense", params, [self.source(a[0])], weights, self.name_from(a[1]))
        elif t in (aten.conv2d.default, aten.conv_transpose2d.input):
            self.conv(node)
        elif t is aten.batch_norm.default:
            prefix = self.name_from(a[1])
            if float(a[7]) != NORM_EPS:
                raise ValueError(f"eps must be {NORM_EPS_TEXT}")
            weights = {
                k: self.state[f"{prefix}.{k}"].detach().clone()
                for k in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
            }
            self.add(
                node, "BatchNorm", {"momentum": float(a[6])}, [self.source(a[0])], weights, prefix
            )
        elif t is aten.layer_norm.default:
            shape = self.sample_shape(node)
            expected = shape if len(shape) == 3 else [shape[-1]]
            if (
                list(a[1]) != expected
                or (len(a) > 4 and float(a[4]) != NORM_EPS)
                or len(a) < 4
                or a[2] is None
                or a[3] is None
            ):
                raise ValueError(
                    f"normalizes over {list(a[1])}; the design's LayerNorm over {expected}, eps {NORM_EPS_TEXT}, with scale and shift"
                )
            weights = {"weight": self.tensor_of(a[2]), "bias": self.tensor_of(a[3])}
            self.add(node, "LayerNorm", {}, [self.source(a[0])], weights, self.name_from(a[2]))
        elif t in (aten.max_pool2d.default, aten.avg_pool2d.default):
            self.pool(node)
        elif t in (
            aten.view.default,
            aten.reshape.default,
            aten._unsafe_view.default,
            aten.flatten.using_ints,
        ):
            shape = self.sample_shape(node)
            if t is aten.flatten.using_ints and (a[1] if len(a) > 1 else 0) != 1:
                raise ValueError("only flattening from dim 1 keeps the batch")
            kind, params = ("Flatten", {}) if len(shape) == 1 else ("Reshape", {"shape": shape})
            self.add(node, kind, params, [self.source(a[0])])
        elif t is aten.cat.default:
            rank = len(self.sample_shape(node)) + 1
            dim = a[1] if len(a) > 1 else 0
            dim = dim + rank if dim < 0 else dim
            if dim == 0:
                raise ValueError("joins along the batch")
            self.add(node, "Concat", {"dim": dim - 1}, [self.source(x) for x in a[0]])
        elif t is aten.add.Tensor:
            if node.kwargs.get("alpha", 1) != 1 or not all(
                isinstance(x, torch.fx.Node) for x in a[:2]
            ):
                raise ValueError("adds something other than two layer outputs")
            self.add(node, "Add", {}, [self.source(a[0]), self.source(a[1])])
        elif t is aten.dropout.default:
            self.add(node, "Dropout", {"p": float(a[1])}, [self.source(a[0])])
        elif t is aten.zeros.default:
            self.value[node] = ("zeros",)
        elif t in RECURRENT:
            self.recurrent(node)
        elif t is operator.getitem:
            found = self.value.get(a[0])
            if isinstance(found, tuple) and found[0] == "recurrent":
                self.value[node] = ("sequence", found[1]) if a[1] == 0 else ("state",)
            else:
                raise ValueError("indexes something other than a recurrent layer's output")
        elif t is aten.select.int:
            found = self.value.get(a[0])
            if isinstance(found, tuple) and found[0] == "sequence" and a[1] == 1 and a[2] == -1:
                self.value[node] = self.materialize(found[1], False)
            else:
                raise ValueError("only a sequence's last step ([:, -1]) can be selected")
        else:
            raise ValueError("this operation has no layer kind")

    def conv(self, node) -> None:
        a = node.args
        transposed = node.target is aten.conv_transpose2d.input
        weight = self.tensor_of(a[1])
        bias = a[2] if len(a) > 2 else None
        names = (
            ("stride", "padding", "output_padding", "groups", "dilation")
            if transposed
            else ("stride", "padding", "dilation", "groups")
        )
        given = dict(zip(names, a[3:], strict=False))
        defaults = {
            "stride": [1, 1],
            "padding": [0, 0],
            "dilation": [1, 1],
            "groups": 1,
            "output_padding": [0, 0],
        }
        opts = {k: given.get(k, v) for k, v in defaults.items()}
        for key in ("stride", "padding", "dilation", "output_padding"):
            values = list(opts[key]) if isinstance(opts[key], list | tuple) else [opts[key]] * 2
            if len(set(values)) != 1:
                raise ValueError(f"{key} {values} is not square")
            opts[key] = int(values[0])
        if opts["groups"] != 1 or weight.shape[2] != weight.shape[3]:
            raise ValueError("groups and non-square kernels are not supported")
        params = {
            "out_channels": int(weight.shape[1 if transposed else 0]),
            "kernel_size": int(weight.shape[2]),
            "stride": opts["stride"],
            "padding": opts["padding"],
            "dilation": opts["dilation"],
            "bias": bias is not None,
        }
        weights = {"weight": weight}
        if bias is not None:
            weights["bias"] = self.tensor_of(bias)
        if transposed:
            params["output_padding"] = opts["output_padding"]
        kind = "ConvTranspose2d" if transposed else "Conv2d"
        self.add(node, kind, params, [self.source(a[0])], weights, self.name_from(a[1]))

    def pool(self, node) -> None:
        a = node.args
        if node.target is aten.max_pool2d.default and (
            len(a) > 4 and list(a[4]) not in ([1, 1], [1]) or len(a) > 5 and a[5]
        ):
            raise ValueError("dilation and ceil_mode are not supported")
        if node.target is aten.avg_pool2d.default and (
            len(a) > 4 and a[4] or len(a) > 5 and not a[5] or len(a) > 6 and a[6]
        ):
            raise ValueError(
                "ceil_mode, count_include_pad=False and divisor_override are not supported"
            )
        params = pool_params(a[1], a[2] if len(a) > 2 else None, a[3] if len(a) > 3 else 0)
        kind = "MaxPool2d" if node.target is aten.max_pool2d.default else "AvgPool2d"
        self.add(node, kind, params, [self.source(a[0])])

    def recurrent(self, node) -> None:
        a = node.args
        kind = RECURRENT[node.target]
        x, hx, params = a[0], a[1], a[2]
        has_biases, num_layers, dropout, _, bidirectional, batch_first = a[3:9]
        states = hx if isinstance(hx, list | tuple) else [hx]
        if not all(
            isinstance(self.value.get(h), tuple) and self.value[h][0] == "zeros" for h in states
        ):
            raise ValueError("an initial state cannot be given")
        if not has_biases or not batch_first:
            raise ValueError("needs bias=True and batch_first=True")
        prefix = self.name_from(params[0])
        weights = {
            k.split(".")[-1]: v.detach().clone()
            for k, v in self.state.items()
            if k.rpartition(".")[0] == prefix
        }
        params = {
            "hidden_size": int(weights["weight_hh_l0"].shape[1]),
            "num_layers": int(num_layers),
            "bidirectional": bool(bidirectional),
            "dropout": float(dropout),
        }
        pending = PendingRecurrent(kind, params, self.source(x), weights, prefix)
        self.value[node] = ("recurrent", pending)


def map_exported(module: torch.nn.Module, input_shape, example: torch.Tensor):
    """(nodes, output) of `module` captured with torch.export; raises ImportRefused."""
    try:
        with warnings.catch_warnings():  # it warns about RNN weight caches it handles itself
            warnings.simplefilter("ignore")
            program = torch.export.export(module, (example,))
    except Exception as exc:  # the person's code decides; any failure is a message
        raise ImportRefused(
            [
                f"torch.export cannot capture it either ({type(exc).__name__}: {str(exc).splitlines()[0]})"
            ]
        ) from None
    mapper = _Mapper(program, input_shape)
    nodes, output = mapper.run()
    if mapper.refused:
        raise ImportRefused(mapper.refused)
    return nodes, output
