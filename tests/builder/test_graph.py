"""The graph answers its own questions: inputs in edge order, users, order, Input and output."""

from __future__ import annotations

import torch

from builder import analyze, load_design
from builder.codegen.model_source import build_model, generate_code
from builder.design.presets import load_preset
from builder.design.spec import Graph, Node
from tests.builder.helpers import graph_design


def test_a_residual_design_answers_inputs_users_order_and_ends():
    graph = load_preset("residual_cnn_digits").models["model"]
    assert graph.input_nodes == ["input"] and graph.input_node == "input"
    assert graph.output_nodes == ["output"] and graph.output_node == "output"
    # The Add's inputs in edge order: the branch's edge is listed before the skip's.
    assert graph.inputs_of("res_add") == ["res_conv2", "stem"]
    assert graph.users_of("stem") == ["res_conv1", "res_add"]
    assert graph.users_of("output") == [] and graph.inputs_of("input") == []
    order = graph.order
    assert order[0] == "input" and order[-1] == "output" and sorted(order) == sorted(graph.ids)
    for source, target in graph.edges:
        assert order.index(source) < order.index(target)
    assert graph.descendants("res_conv1") == {"res_conv2", "res_add", "pool", "flatten", "output"}
    assert graph.depths["res_add"] == 4 and graph.depths["stem"] == 1
    assert graph.cycles == [] and graph.cyclic == frozenset()


def test_answers_are_computed_once_and_kept_on_the_graph():
    graph = load_preset("lenet_digits").models["model"]
    assert graph.order is graph.order
    assert graph.output_nodes is graph.output_nodes
    assert graph.inputs_of(graph.output_node) is graph.inputs_of(graph.output_node)
    # An edit makes a new graph, which answers anew.
    cut = Graph(graph.nodes, graph.edges[:-1])
    assert cut.output_node != graph.output_node


def test_a_gan_has_two_graphs_each_with_its_own_ends():
    design = load_preset("dcgan_digits")
    gen, disc = design.models["generator"], design.models["discriminator"]
    assert (gen.input_node, gen.output_node) == ("noise", "g_conv")
    assert (disc.input_node, disc.output_node) == ("image", "d_out")
    shapes = analyze(design).shapes
    # The shape contract the analysis checks is between these ends.
    assert shapes["generator"]["g_conv"] == shapes["discriminator"]["image"]
    assert shapes["discriminator"]["d_out"] == [1]


def test_a_concat_joins_its_inputs_in_edge_order_not_node_order():
    design = load_design(
        graph_design(
            [
                ("x", "Input", {"shape": [4]}),
                ("a", "Dense", {"out_features": 2}),
                ("b", "Dense", {"out_features": 3}),
                ("cat", "Concat", {}),
                ("out", "Dense", {"out_features": 1}),
            ],
            # b's edge into the Concat is listed first: b's features come first.
            [("x", "a"), ("x", "b"), ("b", "cat"), ("a", "cat"), ("cat", "out")],
        )
    )
    graph = design.models["model"]
    assert graph.inputs_of("cat") == ["b", "a"]
    assert "self.cat(b, a)" in generate_code(design)
    model = build_model(design)
    seen = {}
    for node_id in ("a", "b", "cat"):
        module = getattr(model, model.NODE_MODULES[node_id])
        module.register_forward_hook(lambda m, i, o, node_id=node_id: seen.update({node_id: o}))
    model(torch.randn(5, 4))
    torch.testing.assert_close(seen["cat"], torch.cat([seen["b"], seen["a"]], dim=1))


def test_a_broken_graph_still_answers():
    graph = Graph(
        [
            Node("in", "Input", {"shape": [4]}),
            Node("a", "Dense", {}),
            Node("b", "Dense", {}),
            Node("c", "Dense", {}),
            Node("lone", "Dense", {}),
        ],
        [("in", "a"), ("a", "b"), ("b", "a"), ("b", "c"), ("c", "c"), ("c", "ghost")],
    )
    # An edge to a missing node, or to itself, connects nothing.
    assert graph.wires == [("in", "a"), ("a", "b"), ("b", "a"), ("b", "c")]
    assert graph.cycles == [["a", "b"]] and graph.cyclic == {"a", "b"}
    # Nodes on the cycle are left out of the order; what follows them is kept.
    assert graph.order == ["in", "c", "lone"]
    assert graph.output_nodes == ["c"]
    assert graph.node("ghost") is None and graph.inputs_of("ghost") == []


def test_repeated_ids_are_answered_by_the_first_node_of_that_id():
    graph = Graph([Node("in", "Input"), Node("d", "Dense"), Node("d", "Flatten")], [("in", "d")])
    assert graph.ids == ["in", "d"] and graph.node("d").type == "Dense"
    assert graph.order == ["in", "d"] and graph.output_node == "d"


def test_a_model_of_one_input_has_no_output_node_and_its_code_returns_the_input():
    design = load_design(graph_design([("in", "Input", {"shape": [3]})], []))
    graph = design.models["model"]
    assert graph.output_nodes == [] and graph.output_node is None
    assert Graph().output_node is None and Graph().input_node is None
    batch = torch.randn(2, 3)
    torch.testing.assert_close(build_model(design)(batch), batch)
