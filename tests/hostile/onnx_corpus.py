"""Hostile ONNX files, made here: external data in every place a tensor can hide (folding bombs
and mismatching outputs are in onnx_bombs). Every place maker takes the location a tensor points
to and returns the file's bytes."""

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
