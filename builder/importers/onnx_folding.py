"""Size arithmetic in an ONNX graph: the nodes that work only on constants and sizes (reshape
targets, initial states), which the mapping folds away. Only operations exporters emit for this
are folded, each output's size is bounded before anything computes it, and nothing is made from
no input except by Constant (RandomNormal, RandomUniform and the like are refused)."""

from __future__ import annotations

import math

import numpy as np

from builder.importers.onnx_file import tensor_array
from builder.importers.onnx_sequences import Value

# What torch.onnx and other exporters emit around sizes; every other operation on constants only
# is refused, so the output check never computes more than these.
FOLDABLE = frozenset(
    {
        "Constant", "Shape", "Size", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast",
        "Slice", "Reshape", "ConstantOfShape", "Expand", "Tile", "Range", "Identity",
        "Add", "Sub", "Mul", "Div", "Neg", "Abs", "Floor", "Ceil", "Min", "Max",
        "Equal", "Less", "Greater", "Not", "Where", "ReduceProd", "ReduceSum", "Transpose",
    }
)  # fmt: skip
MAX_FOLDED = 2**20  # values in one folded output, for the batch the check runs


def folded_size(name: str, shape) -> int:
    """Values a folded output holds, from shape inference; refused when not known or too many."""
    if shape is None or any(v is None for v in shape):
        raise ValueError(f"the size of its output {name!r} is not known before it runs")
    size = math.prod(shape)
    if size > MAX_FOLDED:
        raise ValueError(
            f"its output {name!r} would hold {size:,} values {list(shape)}, over the "
            f"{MAX_FOLDED:,} that size arithmetic may make"
        )
    return size


def constant_value(node, attrs: dict) -> Value:
    """What a Constant node holds, read from the file and never from a path."""
    place = f"node {node.name or '(unnamed)'!r} (Constant) > attribute 'value'"
    if "value" in attrs:
        return Value("const", array=tensor_array(attrs["value"], place))
    if "sparse_value" in attrs:
        raise ValueError("sparse constants are not read")
    for key, dtype in (("value_float", np.float32), ("value_floats", np.float32),
                       ("value_int", np.int64), ("value_ints", np.int64)):  # fmt: skip
        if key in attrs:
            return Value("const", array=np.array(attrs[key], dtype=dtype))
    return Value("shape")  # strings: nothing the mapping uses as a number


class SizeArithmetic:
    """The mapper's folding of nodes whose inputs are all constants or sizes (it provides
    values, shapes and out)."""

    def size_arithmetic(self, node, attrs) -> None:
        op = node.op_type
        if not any(node.input) and op != "Constant":
            raise ValueError(f"{op} makes values from no input; only Constant may")
        if op not in FOLDABLE:
            raise ValueError(f"{op} on constants is not size arithmetic the import folds")
        if op == "Constant":  # its values are written in the file, and bounded by it
            self.out(node, constant_value(node, attrs))
            return
        for name in node.output:
            if name:
                folded_size(name, self.shapes.get(name))
                self.values[name] = Value("shape")
