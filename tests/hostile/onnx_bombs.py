"""Hostile ONNX files, made here: folding bombs (a few hundred bytes that would make gigabytes)
and files whose mapped design would not give their outputs. Every maker returns bytes."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tests.hostile.onnx_corpus import OPSET, constant, model, weight


# -- folding bombs: a few hundred bytes that would make gigabytes -------------------------------
def ints(name, values):
    return constant(name, numpy_helper.from_array(np.array(values, np.int64), name))


def added_to_input(nodes, made="big"):
    """The bomb's output added to the input, so that the graph uses it."""
    return model(nodes + [helper.make_node("Add", ["x", made], ["y"], name="/use/Add")])


def random_normal(shape=(65536, 16384)):
    return added_to_input(
        [
            helper.make_node(
                "RandomNormal", [], ["big"], name="/noise/RandomNormal", shape=list(shape)
            )
        ]
    )


def random_uniform(shape=(65536, 16384)):
    return added_to_input(
        [
            helper.make_node(
                "RandomUniform", [], ["big"], name="/noise/RandomUniform", shape=list(shape)
            )
        ]
    )


def random_normal_like():
    like = helper.make_node("RandomNormalLike", ["base"], ["big"], name="/noise/RandomNormalLike")
    return added_to_input([ints("base", np.zeros((4,), np.int64)), like])


def eye_like():
    eye = helper.make_node("EyeLike", ["square"], ["big"], name="/eye/EyeLike")
    return added_to_input([constant("square", weight("square", (4, 4))), eye])


def constant_of_shape(shape=(100_000, 100_000)):
    fill = helper.make_node("ConstantOfShape", ["shape"], ["big"], name="/fill/ConstantOfShape")
    return added_to_input([ints("shape", list(shape)), fill])


def constant_of_shape_from_sizes():
    """The shape assembled by Concat from pieces, as exporters do for initial states."""
    pieces = [ints("a", [50_000]), ints("b", [50_000])]
    join = helper.make_node("Concat", ["a", "b"], ["shape"], name="/sizes/Concat", axis=0)
    fill = helper.make_node("ConstantOfShape", ["shape"], ["big"], name="/fill/ConstantOfShape")
    return added_to_input(pieces + [join, fill])


def constant_of_shape_from_the_batch():
    """A size made from the input's batch times a large factor: unknown until run, refused."""
    nodes = [helper.make_node("Shape", ["x"], ["s"], name="/size/Shape"),
             ints("factor", [10**6, 1]),
             helper.make_node("Mul", ["s", "factor"], ["shape"], name="/size/Mul"),
             helper.make_node("ConstantOfShape", ["shape"], ["big"], name="/fill/ConstantOfShape")]  # fmt: skip
    return added_to_input(nodes)


def expand(shape=(100_000, 100_000)):
    grow = helper.make_node("Expand", ["one", "shape"], ["big"], name="/grow/Expand")
    return added_to_input([constant("one", weight("one", (1,))), ints("shape", list(shape)), grow])


def tile(repeats=(10**6, 10**4)):
    grow = helper.make_node("Tile", ["block", "repeats"], ["big"], name="/grow/Tile")
    return added_to_input(
        [constant("block", weight("block", (1, 4))), ints("repeats", list(repeats)), grow]
    )


def range_bomb():
    nodes = [constant("start", numpy_helper.from_array(np.array(0, np.float32), "start")),
             constant("limit", numpy_helper.from_array(np.array(1e10, np.float32), "limit")),
             constant("delta", numpy_helper.from_array(np.array(1, np.float32), "delta")),
             helper.make_node("Range", ["start", "limit", "delta"], ["big"], name="/count/Range")]  # fmt: skip
    return added_to_input(nodes)


def conv_of_constants():
    """A layer fed only constants is computation, not size arithmetic."""
    image = constant("image", weight("image", (1, 1, 64, 64)))
    kernel = constant("kernel", weight("kernel", (1, 1, 3, 3)))
    conv = helper.make_node("Conv", ["image", "kernel"], ["big"], name="/const/Conv")
    return added_to_input([image, kernel, conv])


def sparse_constant_bomb():
    made = helper.make_sparse_tensor(weight("s", (1,)), numpy_helper.from_array(np.array([0], np.int64), ""),
                                     [2**20, 2**20])  # fmt: skip
    return added_to_input([constant("big", made, key="sparse_value")])


def dims_without_data():
    """A Constant that claims 2^28 values and holds none."""
    empty = TensorProto(name="v", data_type=TensorProto.FLOAT, dims=[2**14, 2**14])
    return added_to_input([constant("big", empty)])


def upsampled_far(scale=16.0):
    """Resize by 16 of a large image maps onto an Upsample whose activations (4 GiB a sample)
    the design's checks refuse before the check runs anything."""
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64, 256, 256])]
    scales = numpy_helper.from_array(np.array([1, 1, scale, scale], np.float32), "scales")
    resize = helper.make_node(
        "Resize", ["x", "", "scales"], ["y"], name="/up/Resize", mode="nearest"
    )
    return model([resize], [scales], inputs=inputs)


def many_nodes(count=20_001):
    nodes = [
        helper.make_node("Identity", ["x" if i == 0 else f"v{i - 1}"], [f"v{i}"])
        for i in range(count)
    ]
    nodes.append(helper.make_node("Identity", [f"v{count - 1}"], ["y"]))
    return model(nodes)


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field, written by hand (the library refuses to build
    messages this deep)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def deeply_nested(depth=400):
    """If inside If inside If, `depth` deep: graph.node(1) > attribute(5) > g(6)."""
    graph = b""
    for _ in range(depth):
        attribute = _field(1, b"then_branch") + _field(6, graph) + _varint(20 << 3) + _varint(5)
        graph = _field(1, _field(4, b"If") + _field(5, attribute))
    return _field(7, graph)


# maker -> words the refusal says
FOLDING_BOMBS = {
    random_normal: "'/noise/RandomNormal' (RandomNormal): RandomNormal makes values from no input",
    random_uniform: "(RandomUniform): RandomUniform makes values from no input",
    random_normal_like: "(RandomNormalLike): RandomNormalLike on constants is not size arithmetic",
    eye_like: "(EyeLike): EyeLike on constants is not size arithmetic",
    constant_of_shape: "'/fill/ConstantOfShape' (ConstantOfShape): its output 'big' would hold 10,000,000,000 values",
    constant_of_shape_from_sizes: "(ConstantOfShape): its output 'big' would hold 2,500,000,000 values",
    constant_of_shape_from_the_batch: "(ConstantOfShape): ",
    expand: "(Expand): its output 'big' would hold 10,000,000,000 values",
    tile: "(Tile): its output 'big' would hold 40,000,000,000 values",
    range_bomb: "(Range): ",
    conv_of_constants: "(Conv): Conv on constants is not size arithmetic",
    sparse_constant_bomb: "sparse tensor 's' has dimensions [1048576, 1048576], too large",
    dims_without_data: "cannot be read as an array",
    upsampled_far: "activations",
    many_nodes: "20,002 nodes, more than 20,000",
    deeply_nested: "",
}  # fmt: skip


# -- files the mapping would get wrong: the output check refuses them -------------------------
def image_model(nodes, initializers=(), channels=1, size=4):
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", channels, size, size])]
    return model(nodes, initializers, inputs=inputs)


def resize_asymmetric():
    """Bilinear with `asymmetric` coordinates: PyTorch's Upsample uses half pixels."""
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    resize = helper.make_node("Resize", ["x", "", "scales"], ["y"], name="/up/Resize", mode="linear",
                              coordinate_transformation_mode="asymmetric")  # fmt: skip
    return image_model([resize], [scales])


def batchnorm_in_training_mode(scale=1e25):
    """Batch statistics (training_mode=1) where the design uses the running ones."""
    params = [numpy_helper.from_array(np.full(2, v, np.float32), n)
              for n, v in (("g", scale), ("b", 0.0), ("m", 5.0), ("v", 1.0))]  # fmt: skip
    norm = helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y", "rm", "rv"], name="/bn/BatchNormalization",
                            training_mode=1)  # fmt: skip
    return image_model([norm], params, channels=2)


def dropout_in_training_mode():
    ratio = numpy_helper.from_array(np.array(0.5, np.float32), "ratio")
    on = numpy_helper.from_array(np.array(True), "on")
    fc = helper.make_node("Gemm", ["x", "w"], ["h"], name="/fc/Gemm")
    drop = helper.make_node("Dropout", ["h", "ratio", "on"], ["y"], name="/drop/Dropout", seed=3)
    return model([fc, drop], [weight("w", value=1e20), ratio, on])


MISMATCHES = [resize_asymmetric, batchnorm_in_training_mode, dropout_in_training_mode]


def declared_small(data: bytes, name: str = "big") -> bytes:
    """The same bomb with the file claiming its output holds one value."""
    made = onnx.load_model_from_string(data)
    made.graph.value_info.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1]))
    return made.SerializeToString()


def bomb_as_the_output(shape=(100_000, 100_000)):
    """ConstantOfShape as the graph's output, whose declared shape says [N, 4]."""
    fill = helper.make_node("ConstantOfShape", ["shape"], ["y"], name="/fill/ConstantOfShape")
    made = onnx.load_model_from_string(model([ints("shape", list(shape)), fill]))
    made.graph.output[0].CopyFrom(helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4]))
    return made.SerializeToString()


def shadowing_function():
    """A local function in the standard domain named Relu, making random numbers inside."""
    inner = helper.make_node("RandomNormal", [], ["r"], shape=[65536, 16384])
    add = helper.make_node("Add", ["X", "r"], ["Y"])
    function = helper.make_function("", "Relu", ["X"], ["Y"], [inner, add], OPSET)
    relu = helper.make_node("Relu", ["x"], ["y"], name="/act/Relu")
    made = onnx.load_model_from_string(model([relu]))
    made.functions.append(function)
    return made.SerializeToString()
