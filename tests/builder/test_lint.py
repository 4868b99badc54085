"""Every error the lint and shape inference report names the node that causes it."""

from __future__ import annotations

import pytest

import builder
from builder import GraphError
from tests.builder.helpers import chain_design, graph_design


def problems_of(design):
    with pytest.raises(GraphError) as err:
        builder.infer_shapes(design)
    return err.value.problems


def only(problems, node_id):
    found = [p for p in problems if p.node_id == node_id]
    assert found, f"no problem pinned to {node_id!r}: {[str(p) for p in problems]}"
    return found[0]


def test_dense_after_conv_suggests_flatten():
    design = chain_design(
        ("in", "Input", {"shape": [1, 8, 8]}),
        ("c1", "Conv2d", {"out_channels": 16, "padding": 1}),
        ("p1", "MaxPool2d", {"kernel_size": 2}),
        ("d1", "Dense", {"out_features": 10}),
    )
    problem = only(problems_of(design), "d1")
    assert (
        str(problem)
        == "node 'd1' (Dense): expects [F] or [T, F], got [16, 4, 4]: insert Flatten before it"
    )


def test_every_problem_is_reported_at_once():
    design = chain_design(
        ("in", "Input", {"shape": [1, 8, 8]}),
        ("c1", "Conv2d", {"out_channels": 0}),
        ("f", "Flatten", {}),
        ("d1", "Dense", {"out_features": 10, "units": 3}),
    )
    problems = problems_of(design)
    assert "out_channels must be at least 1" in str(only(problems, "c1"))
    assert "unknown param 'units'" in str(only(problems, "d1"))


def test_kernel_larger_than_input():
    design = chain_design(
        ("in", "Input", {"shape": [1, 4, 4]}), ("c", "Conv2d", {"kernel_size": 7})
    )
    problem = only(problems_of(design), "c")
    assert "kernel 7x7 is larger than its input 4x4" in problem.message
    assert problem.fix == "lower kernel_size or add padding"


def test_cycle_dangling_edge_and_unreachable():
    design = graph_design(
        [
            ("in", "Input", {"shape": [4]}),
            ("a", "Dense", {}),
            ("b", "Dense", {}),
            ("lost", "Dense", {}),
            ("lost2", "Dense", {}),
            ("out", "Dense", {}),
        ],
        [("in", "out"), ("a", "b"), ("b", "a"), ("out", "ghost"), ("lost", "lost2")],
    )
    problems = problems_of(design)
    assert "cycle" in only(problems, "a").message
    assert "missing node 'ghost'" in only(problems, "out").message
    assert "takes exactly 1 inbound edge, got 0" in only(problems, "lost").message
    assert "not reachable from the Input" in only(problems, "lost2").message


def test_no_input_and_two_inputs():
    assert any(
        p.node_id is None and "no Input" in p.message
        for p in problems_of(graph_design([("d", "Dense", {})], []))
    )
    two = graph_design(
        [("a", "Input", {"shape": [2]}), ("b", "Input", {"shape": [2]}), ("add", "Add", {})],
        [("a", "add"), ("b", "add")],
    )
    assert "one Input" in only(problems_of(two), "b").message


def test_more_than_one_output():
    design = graph_design(
        [("in", "Input", {"shape": [4]}), ("a", "Dense", {}), ("b", "Dense", {})],
        [("in", "a"), ("in", "b")],
    )
    assert "one output" in only(problems_of(design), "a").message


def test_wrong_number_of_inbound_edges():
    design = graph_design(
        [
            ("in", "Input", {"shape": [4]}),
            ("a", "Dense", {}),
            ("b", "Dense", {}),
            ("m", "Dense", {}),
            ("add", "Add", {}),
        ],
        [("in", "a"), ("in", "b"), ("a", "m"), ("b", "m"), ("m", "add")],
    )
    problems = problems_of(design)
    assert "takes exactly 1 inbound edge, got 2" in only(problems, "m").message
    assert "Add or Concat" in only(problems, "m").fix
    assert "2 or more inbound edges, got 1" in only(problems, "add").message


def test_merge_of_incompatible_shapes():
    nodes = [
        ("in", "Input", {"shape": [4]}),
        ("a", "Dense", {"out_features": 3}),
        ("b", "Dense", {"out_features": 5}),
        ("add", "Add", {}),
    ]
    edges = [("in", "a"), ("in", "b"), ("a", "add"), ("b", "add")]
    problem = only(problems_of(graph_design(nodes, edges)), "add")
    assert "same shape, got [3], [5]" in problem.message and "'a', 'b'" in problem.message
    image = [
        ("in", "Input", {"shape": [1, 8, 8]}),
        ("a", "Conv2d", {"out_channels": 2}),
        ("b", "Conv2d", {"out_channels": 2, "padding": 1}),
        ("cat", "Concat", {}),
    ]
    cat = only(problems_of(graph_design(image, edges[:2] + [("a", "cat"), ("b", "cat")])), "cat")
    assert "every axis except 0" in cat.message


def test_recurrent_needs_sequence_and_reshape_sizes():
    lstm = chain_design(("in", "Input", {"shape": [8]}), ("l", "LSTM", {}))
    assert "expects [T, F], got [8]" in only(problems_of(lstm), "l").message
    reshape = chain_design(("in", "Input", {"shape": [10]}), ("r", "Reshape", {"shape": [3, 3]}))
    assert "(10 values) to [3, 3] (9 values)" in only(problems_of(reshape), "r").message


def test_parameter_limit_refuses_before_allocating():
    design = chain_design(
        ("in", "Input", {"shape": [60000]}), ("d", "Dense", {"out_features": 60000})
    )
    problem = only(problems_of(design), "d")
    assert "3,600,060,000 parameters, over the limit of 100,000,000" in problem.message
    small = chain_design(("in", "Input", {"shape": [100]}), ("d", "Dense", {"out_features": 100}))
    with pytest.raises(GraphError, match="10,100 parameters, over the limit of 1,000"):
        builder.infer_shapes(small, param_limit=1000)
    assert builder.count_params(small) == {"model": {"in": 0, "d": 10100}}


def test_gan_contract_mismatch_names_nodes():
    design = {
        "version": 1,
        "name": "gan",
        "models": {
            "generator": {
                "nodes": [
                    {"id": "z", "type": "Input", "params": {"shape": [8]}},
                    {"id": "g", "type": "Dense", "params": {"out_features": 3}},
                ],
                "edges": [["z", "g"]],
            },
            "discriminator": {
                "nodes": [
                    {"id": "x", "type": "Input", "params": {"shape": [2]}},
                    {"id": "d", "type": "Dense", "params": {"out_features": 2}},
                ],
                "edges": [["x", "d"]],
            },
        },
        "training": {"task": "gan"},
        "layout": {},
    }
    problems = problems_of(design)
    gen = only(problems, "g")
    assert (
        gen.model == "generator"
        and "output [3] does not match the discriminator's Input [2]" in gen.message
    )
    assert "one logit [1], got [2]" in only(problems, "d").message


def test_analyze_returns_partial_shapes_with_problems():
    design = chain_design(
        ("in", "Input", {"shape": [1, 8, 8]}),
        ("c1", "Conv2d", {"out_channels": 4}),
        ("d1", "Dense", {"out_features": 10}),
    )
    analysis = builder.analyze(design)
    assert analysis.shapes["model"] == {"in": [1, 8, 8], "c1": [4, 6, 6]}
    assert [p.node_id for p in analysis.problems] == ["d1"]
