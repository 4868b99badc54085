"""Hostile ONNX files, made here: external data in every place a tensor can hide, folding bombs
and files whose mapped design would not give their outputs. Every maker returns bytes."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 17)]


def external(
    name: str, location: str, dims=(4, 4), offset=None, length=None, flag=True, entries=True
):
    """A float tensor whose bytes would come from `location`, beside the file."""
    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(dims))
    if flag:
        tensor.data_location = TensorProto.EXTERNAL
    if entries:
        tensor.external_data.add(key="location", value=location)
        if offset is not None:
            tensor.external_data.add(key="offset", value=str(offset))
        if length is not None:
            tensor.external_data.add(key="length", value=str(length))
    return tensor


def weight(name="w", dims=(4, 4), value=0.5):
    return numpy_helper.from_array(np.full(dims, value, np.float32), name)


def sparse(values: TensorProto, dims=(4, 4)):
    indices = numpy_helper.from_array(np.array([0, 5], np.int64), "")
    if values.name == "":
        values.name = "s"
    return helper.make_sparse_tensor(values, indices, list(dims))


def model(nodes, initializers=(), *, sparse_initializers=(), inputs=None, output="y",
          functions=(), training=()) -> bytes:  # fmt: skip
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])]
    outputs = [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)]
    graph = helper.make_graph(
        nodes,
        "g",
        inputs,
        outputs,
        list(initializers),
        sparse_initializer=list(sparse_initializers),
    )
    made = helper.make_model(graph, opset_imports=OPSET, functions=list(functions))
    made.training_info.extend(training)
    return made.SerializeToString()


def gemm(weight_name="w", output="y"):
    return helper.make_node("Gemm", ["x", weight_name], [output], name="/fc/Gemm")


def branch(nodes, initializers=(), name="branch"):
    out = helper.make_tensor_value_info(
        nodes[-1].output[0] if nodes else "b", TensorProto.FLOAT, None
    )
    return helper.make_graph(nodes, name, [], [out], list(initializers))


def constant(name, tensor, key="value"):
    return helper.make_node("Constant", [], [name], name=f"/{name}/Constant", **{key: tensor})


def condition():
    return helper.make_node("Constant", [], ["cond"], name="/cond/Constant",
                            value=helper.make_tensor("c", TensorProto.BOOL, [], [True]))  # fmt: skip


# -- external data, by place: each maker takes the location a tensor points to -----------------
def in_initializer(loc, **kw):
    return model([gemm()], [external("w", loc, **kw)])


def in_sparse_initializer_values(loc, **kw):
    return model(
        [gemm()], [weight()], sparse_initializers=[sparse(external("s", loc, dims=(2,), **kw))]
    )


def in_sparse_initializer_indices(loc, **kw):
    values = numpy_helper.from_array(np.ones(2, np.float32), "s")
    indices = external("i", loc, dims=(2,), **kw)
    indices.data_type = TensorProto.INT64
    made = helper.make_sparse_tensor(values, indices, [4, 4])
    return model([gemm()], [weight()], sparse_initializers=[made])


def in_constant_value(loc, **kw):
    return model([constant("w", external("w", loc, **kw)), gemm()])


def in_constant_sparse_value(loc, **kw):
    made = sparse(external("s", loc, dims=(2,), **kw))
    return model([constant("w", made, key="sparse_value"), gemm()])


def in_constant_of_shape_value(loc, **kw):
    shape = constant("shape", numpy_helper.from_array(np.array([4, 4], np.int64), "shape"))
    fill = helper.make_node("ConstantOfShape", ["shape"], ["w"], name="/fill/ConstantOfShape",
                            value=external("v", loc, dims=(1,), **kw))  # fmt: skip
    return model([shape, fill, gemm()])


def in_attribute_tensors_list(loc, **kw):
    node = gemm()
    node.attribute.append(helper.make_attribute("extra", [weight("ok"), external("t", loc, **kw)]))
    return model([node], [weight()])


def in_attribute_sparse_tensors_list(loc, **kw):
    node = gemm()
    made = sparse(external("s", loc, dims=(2,), **kw))
    node.attribute.append(
        helper.make_attribute("extra", [made], attr_type=onnx.AttributeProto.SPARSE_TENSORS)
    )
    return model([node], [weight()])


def in_if_then_branch(loc, **kw):
    then = branch([constant("b", external("t", loc, **kw))], name="then")
    other = branch([constant("b", weight("e"))], name="else")
    node = helper.make_node(
        "If", ["cond"], ["w"], name="/choose/If", then_branch=then, else_branch=other
    )
    return model([condition(), node, gemm()])


def in_if_else_branch_initializer(loc, **kw):
    then = branch([constant("b", weight("t"))], name="then")
    other = branch([helper.make_node("Identity", ["e"], ["b"])], [external("e", loc, **kw)], "else")
    node = helper.make_node(
        "If", ["cond"], ["w"], name="/choose/If", then_branch=then, else_branch=other
    )
    return model([condition(), node, gemm()])


def _loop(body):
    trip = constant("trip", numpy_helper.from_array(np.array(1, np.int64), "trip"))
    node = helper.make_node("Loop", ["trip", "cond", "w0"], ["w"], name="/repeat/Loop", body=body)
    return model([trip, condition(), node, gemm()], [weight("w0")])


def _loop_body(nodes, initializers=()):
    inputs = [helper.make_tensor_value_info("i", TensorProto.INT64, []),
              helper.make_tensor_value_info("c_in", TensorProto.BOOL, []),
              helper.make_tensor_value_info("w_in", TensorProto.FLOAT, [4, 4])]  # fmt: skip
    outputs = [helper.make_tensor_value_info("c_in", TensorProto.BOOL, []),
               helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, [4, 4])]  # fmt: skip
    return helper.make_graph(nodes, "body", inputs, outputs, list(initializers))


def in_loop_body_initializer(loc, **kw):
    add = helper.make_node("Add", ["w_in", "hidden"], ["w_out"], name="/body/Add")
    return _loop(_loop_body([add], [external("hidden", loc, **kw)]))


def in_loop_if_constant(loc, **kw):
    then = branch([constant("b", external("deep", loc, **kw))], name="then")
    other = branch([constant("b", weight("e"))], name="else")
    inner = helper.make_node(
        "If", ["c_in"], ["picked"], name="/body/If", then_branch=then, else_branch=other
    )
    add = helper.make_node("Add", ["w_in", "picked"], ["w_out"], name="/body/Add")
    return _loop(_loop_body([inner, add]))


def in_scan_body(loc, **kw):
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "hidden"], ["s_out"])], "scan",
        [helper.make_tensor_value_info("s_in", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("s_out", TensorProto.FLOAT, [4])],
        [external("hidden", loc, dims=(4,), **kw)],
    )  # fmt: skip
    node = helper.make_node("Scan", ["x"], ["y"], name="/scan/Scan", body=body, num_scan_inputs=1)
    return model([node])


def in_function(loc, **kw):
    inner = constant("w", external("f", loc, **kw))
    function = helper.make_function("local", "MakeWeight", [], ["w"], [inner], OPSET)
    call = helper.make_node("MakeWeight", [], ["w"], name="/make/MakeWeight", domain="local")
    return model([call, gemm()], functions=[function])


def in_training_info(loc, **kw):
    init = helper.make_graph([], "init", [], [], [external("t", loc, **kw)])
    info = onnx.TrainingInfoProto(initialization=init, algorithm=helper.make_graph([], "a", [], []))
    return model([gemm()], [weight()], training=[info])


def entries_without_the_flag(loc, **kw):
    return model([gemm()], [external("w", loc, flag=False, **kw)])


def flag_without_entries(loc, **kw):
    return model([gemm()], [external("w", loc, entries=False, **kw)])


# place maker -> what the refusal names
EXTERNAL_PLACES = {
    in_initializer: "graph 'g' > initializer 'w'",
    in_sparse_initializer_values: "graph 'g' > sparse initializer 's' > values 's'",
    in_sparse_initializer_indices: "graph 'g' > sparse initializer 's' > indices 'i'",
    in_constant_value: "node '/w/Constant' (Constant) > attribute 'value' > tensor 'w'",
    in_constant_sparse_value: "node '/w/Constant' (Constant) > attribute 'sparse_value' > sparse tensor 's' > values 's'",
    in_constant_of_shape_value: "(ConstantOfShape) > attribute 'value' > tensor 'v'",
    in_attribute_tensors_list: "attribute 'extra' > tensor 't'",
    in_attribute_sparse_tensors_list: "attribute 'extra' > sparse tensor 's' > values 's'",
    in_if_then_branch: "(If) > attribute 'then_branch' > graph 'then' > node '/b/Constant' (Constant) > attribute 'value' > tensor 't'",
    in_if_else_branch_initializer: "attribute 'else_branch' > graph 'else' > initializer 'e'",
    in_loop_body_initializer: "(Loop) > attribute 'body' > graph 'body' > initializer 'hidden'",
    in_loop_if_constant: "(Loop) > attribute 'body' > graph 'body' > node '/body/If' (If) > attribute 'then_branch' > graph 'then' > node '/b/Constant' (Constant) > attribute 'value' > tensor 'deep'",
    in_scan_body: "(Scan) > attribute 'body' > graph 'scan' > initializer 'hidden'",
    in_function: "function 'MakeWeight' > node '/w/Constant' (Constant) > attribute 'value' > tensor 'f'",
    in_training_info: "training info > initialization graph 'init' > initializer 't'",
    entries_without_the_flag: "graph 'g' > initializer 'w'",
    flag_without_entries: "graph 'g' > initializer 'w'",
}  # fmt: skip


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
