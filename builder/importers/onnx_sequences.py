"""How an ONNX graph carries sequences: values by kind and layout, and the moves around a
recurrent layer (PyTorch exports batch-first sequences moved time-first, the layer, then back),
with its gates put in PyTorch's order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from builder.importers.graph import PendingRecurrent
from builder.importers.onnx_file import node_name

# ONNX's gate order -> PyTorch's: LSTM i,o,f,c -> i,f,c,o; GRU z,r,h -> r,z,n.
GATES = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}


@dataclass
class Value:
    """What an ONNX value is to the mapping."""

    kind: str  # "tensor" (a node's output), "const", "shape" (size arithmetic), "sequence", "state"
    node: str | None = None  # our node id, for a tensor
    layout: str = "batch"  # "batch": [N, ...]; "time": [T, N, F]; "time_dirs": [T, dirs, N, H]
    array: np.ndarray | None = None
    pending: PendingRecurrent | None = None  # a recurrent layer not yet made a node


class SequenceMoves:
    """The ONNX mapper's operators for sequences (it provides values, const, out, materialize)."""

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
            and value.pending.params["bidirectional"] is False
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
        params = {"hidden_size": hidden, "num_layers": 1, "bidirectional": False, "dropout": 0.0}
        pending = PendingRecurrent(op, params, source, weights, node_name(node))
        self.values[node.output[0]] = Value("sequence", layout="time_dirs", pending=pending)
        for name in node.output[1:]:
            if name:
                self.values[name] = Value("state")
