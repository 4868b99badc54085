"""Size arithmetic in an ONNX graph: the nodes that work only on constants and sizes (reshape
targets, initial states), which the mapping folds away. Only operations exporters emit for this
are folded, each output's size is bounded before anything computes it, and nothing is made from
no input except by Constant (RandomNormal, RandomUniform and the like are refused)."""

from __future__ import annotations

import math

import numpy as np
import onnx

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


def inferred_shapes(model: onnx.ModelProto, batch: int) -> dict[str, list[int | None]]:
    """Every value's shape with the batch fixed (the one the output check runs), worked out by
    onnx from the operators: reshape targets made of sizes, and what size arithmetic makes. The
    shapes the file declares for its values and outputs are dropped first: a file that lies
    about them does not pass a bound. Empty when onnx cannot work them out."""
    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    del fixed.graph.value_info[:]
    for output in fixed.graph.output:
        output.type.tensor_type.ClearField("shape")
    names = {t.name for t in fixed.graph.initializer}
    for graph_input in fixed.graph.input:
        if graph_input.name not in names and graph_input.type.tensor_type.shape.dim:
            graph_input.type.tensor_type.shape.dim[0].dim_value = batch
    try:
        inferred = onnx.shape_inference.infer_shapes(fixed, strict_mode=False, data_prop=True)
    except Exception:  # shapes are then only what the mapping itself knows
        return {}
    shapes = {}
    for info in list(inferred.graph.value_info) + list(inferred.graph.output):
        if info.type.tensor_type.HasField("shape"):
            dims = info.type.tensor_type.shape.dim
            shapes[info.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    return shapes


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
