"""Recurrent layers over sequences [T, F] (batch first)."""

from __future__ import annotations

from builder.layers.registry import LayerKind, expect_rank, register
from builder.params import Param

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
HELP = {
    "LSTM": "Long short-term memory: remembers across long sequences",
    "GRU": "Gated recurrent unit: a lighter LSTM",
    "RNN": "Plain recurrent layer with tanh",
}


def _dirs(p) -> int:
    return 2 if p["bidirectional"] else 1


def _shape(inputs, p):
    t, f = expect_rank(inputs, (2,), "[T, F]", "insert Reshape to [T, F] before it")
    width = p["hidden_size"] * _dirs(p)
    return (t, width) if p["return_sequences"] else (width,)


def _count(gates: int):
    def count(inputs, p):
        h, total = p["hidden_size"], 0
        for layer in range(p["num_layers"]):
            width_in = inputs[0][-1] if layer == 0 else h * _dirs(p)
            total += _dirs(p) * gates * (h * width_in + h * h + 2 * h)
        return total

    return count


def _flops(gates: int):
    """Forward FLOPs: at every step, each gate of each direction multiplies the input (or the
    layer below's output) and the hidden state by its weights: 2·gates·H·(in + H) per step."""

    def flops(inputs, p):
        steps, h, total = inputs[0][0], p["hidden_size"], 0
        for layer in range(p["num_layers"]):
            width_in = inputs[0][-1] if layer == 0 else h * _dirs(p)
            total += _dirs(p) * steps * 2 * gates * h * (width_in + h)
        return total

    return flops


def _build(module: str):
    def build(inputs, p):
        # PyTorch applies dropout only between stacked layers: with one layer it would only warn.
        stacked = p["dropout"] and p["num_layers"] > 1
        dropout = f", dropout={p['dropout']!r}" if stacked else ""
        return [
            f"nn.{module}({inputs[0][-1]}, {p['hidden_size']}, num_layers={p['num_layers']}, "
            f"batch_first=True, bidirectional={p['bidirectional']}{dropout})",
            f"SequenceOutput(last_step={not p['return_sequences']})",
        ]

    return build


PARAMS = (
    Param("hidden_size", "int", 32, "Units in the hidden state", min=1, max=4096),
    Param("num_layers", "int", 1, "Stacked recurrent layers", min=1, max=8),
    Param("bidirectional", "bool", False, "Also read the sequence backwards"),
    Param("return_sequences", "bool", True, "Output every step [T, H]; off: the last step [H]"),
    Param(
        "dropout", "float", 0.0, "Dropout between stacked layers", min=0, max=1, max_exclusive=True
    ),
)

for _name, _gates in GATES.items():
    register(
        LayerKind(
            type=_name,
            group="Recurrent",
            help=HELP[_name],
            params=PARAMS,
            shape=_shape,
            build=_build(_name),
            count=_count(_gates),
            flops=_flops(_gates),
            activation=True,
            helpers=("SequenceOutput",),
        )
    )
