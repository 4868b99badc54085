"""One-click fixes: each answers its problem, the fixed design is analyzed like any other, and a
fixed design builds into a real torch model that runs."""

from __future__ import annotations

import torch

from builder import Design, Graph, Node, analyze, build_model
from builder.design.data_fixes import fill_from_data
from builder.design.fixes import apply_fix, find_fixes
from builder.design.settings import training_defaults


def design(nodes, edges, layout=None, **training) -> Design:
    return Design(
        name="t",
        models={"model": Graph([Node(*n) for n in nodes], list(edges))},
        training={**training_defaults(), **training},
        layout=layout or {},
    )


def only_fix(d: Design, prefix: str, **context):
    fixes = [f for f in find_fixes(d, **context) if f.id.startswith(prefix)]
    assert len(fixes) == 1, [f.id for f in find_fixes(d, **context)]
    return fixes[0]


def runs(d: Design, shape) -> torch.Tensor:
    model = build_model(d)
    with torch.no_grad():
        return model(torch.zeros(2, *shape))


def test_flatten_goes_between_an_image_and_a_dense():
    d = design(
        [
            ("in", "Input", {"shape": [1, 8, 8]}),
            ("c", "Conv2d", {}),
            ("d", "Dense", {"out_features": 10}),
        ],
        [("in", "c"), ("c", "d")],
        layout={"c": [0, 100], "d": [0, 300]},
    )
    assert any(p.node_id == "d" for p in analyze(d).problems)
    fix = only_fix(d, "flatten:")
    assert fix.node_id == "d"
    fixed = fix.design
    assert analyze(fixed).problems == []
    assert fixed.models["model"].edges == [("in", "c"), ("c", "flatten1"), ("flatten1", "d")]
    assert fixed.layout["flatten1"] == [0, 200]
    assert runs(fixed, [1, 8, 8]).shape == (2, 10)


def test_add_of_unequal_images_gets_a_1x1_conv_on_the_shortcut():
    d = design(
        [
            ("in", "Input", {"shape": [4, 8, 8]}),
            ("c1", "Conv2d", {"out_channels": 8, "padding": 1, "stride": 2}),
            ("c2", "Conv2d", {"out_channels": 8, "padding": 1}),
            ("add", "Add", {}),
        ],
        [("in", "c1"), ("c1", "c2"), ("in", "add"), ("c2", "add")],
    )
    fix = only_fix(d, "project:")
    fixed = fix.design
    assert analyze(fixed).problems == []
    proj = fixed.models["model"].node("proj1")
    assert proj.type == "Conv2d"
    assert proj.params == {"out_channels": 8, "kernel_size": 1, "stride": 2}
    assert ("in", "proj1") in fixed.models["model"].edges
    assert runs(fixed, [4, 8, 8]).shape == (2, 8, 4, 4)


def test_add_of_unequal_vectors_gets_a_dense_projection():
    d = design(
        [
            ("in", "Input", {"shape": [6]}),
            ("d1", "Dense", {"out_features": 3}),
            ("add", "Add", {}),
        ],
        [("in", "d1"), ("in", "add"), ("d1", "add")],
    )
    fixed = only_fix(d, "project:").design
    assert analyze(fixed).problems == []
    assert fixed.models["model"].node("proj1").params == {"out_features": 3}


def test_add_that_cannot_be_projected_offers_nothing():
    d = design(
        [
            ("in", "Input", {"shape": [1, 8, 8]}),
            ("c1", "Conv2d", {"kernel_size": 3}),  # 6x6: no 1x1 stride gives 6 from 8
            ("add", "Add", {}),
        ],
        [("in", "c1"), ("in", "add"), ("c1", "add")],
    )
    assert not [f for f in find_fixes(d) if f.id.startswith("project:")]


def test_kernel_larger_than_its_input_can_be_padded_or_lowered():
    d = design(
        [
            ("in", "Input", {"shape": [1, 4, 4]}),
            ("c", "Conv2d", {"kernel_size": 7}),
            ("f", "Flatten", {}),
        ],
        [("in", "c"), ("c", "f")],
    )
    ids = {f.id for f in find_fixes(d)}
    assert {"pad:c", "kernel:c"} <= ids
    padded = apply_fix(d, "pad:c")
    lowered = apply_fix(d, "kernel:c")
    assert padded.models["model"].node("c").params["padding"] == 2
    assert lowered.models["model"].node("c").params["kernel_size"] == 4
    for fixed in (padded, lowered):
        assert analyze(fixed).problems == []
        runs(fixed, [1, 4, 4])


def test_pool_larger_than_its_input_lowers_the_kernel():
    d = design(
        [("in", "Input", {"shape": [1, 3, 3]}), ("p", "MaxPool2d", {"kernel_size": 5})],
        [("in", "p")],
    )
    fixed = only_fix(d, "kernel:").design
    assert fixed.models["model"].node("p").params["kernel_size"] == 3
    assert analyze(fixed).problems == []


def test_a_dangling_layer_is_fed_the_nearest_output():
    d = design(
        [
            ("in", "Input", {"shape": [4]}),
            ("a", "Dense", {"out_features": 5}),
            ("b", "Dense", {"out_features": 2}),
        ],
        [("in", "a")],
        layout={"in": [0, 0], "a": [0, 100], "b": [0, 220]},
    )
    fix = only_fix(d, "connect:")
    assert fix.node_id == "b"
    assert fix.design.models["model"].edges == [("in", "a"), ("a", "b")]
    assert analyze(fix.design).problems == []


def test_a_missing_input_is_added_with_the_data_shape():
    d = design(
        [
            ("c", "Conv2d", {"padding": 1}),
            ("f", "Flatten", {}),
            ("d", "Dense", {"out_features": 10}),
        ],
        [("c", "f"), ("f", "d")],
        layout={"c": [40, 200]},
    )
    fix = only_fix(d, "input:", input_shape=[1, 8, 8])
    assert fix.node_id is None and fix.on_node == "c"  # the problem is the model's; c shows it
    fixed = fix.design
    assert fixed.models["model"].nodes[0] == Node("input1", "Input", {"shape": [1, 8, 8]})
    assert ("input1", "c") in fixed.models["model"].edges
    assert fixed.layout["input1"][0] == 40
    assert analyze(fixed).problems == []
    assert runs(fixed, [1, 8, 8]).shape == (2, 10)


def test_the_output_is_sized_to_the_class_count():
    d = design(
        [("in", "Input", {"shape": [2]}), ("d", "Dense", {"out_features": 64})],
        [("in", "d")],
    )
    assert analyze(d).problems == []
    assert find_fixes(d) == []
    fix = only_fix(d, "classes:", num_classes=3)
    assert fix.node_id == "d"
    assert fix.design.models["model"].node("d").params["out_features"] == 3
    assert find_fixes(fix.design, num_classes=3) == []


def test_regression_designs_are_not_sized_to_classes():
    d = design(
        [("in", "Input", {"shape": [2]}), ("d", "Dense", {"out_features": 4})],
        [("in", "d")],
        task="regression",
    )
    assert find_fixes(d, num_classes=3) == []


def test_a_stale_fix_id_applies_nothing():
    d = design([("in", "Input", {"shape": [2]}), ("d", "Dense", {})], [("in", "d")])
    assert apply_fix(d, "flatten:d") is None
    assert apply_fix(d, "connect:nope") is None


def test_fixes_chain_until_the_design_is_clean():
    """A LeNet with every mistake a beginner makes: each fix leaves a design analyzed anew."""
    d = design(
        [
            ("c1", "Conv2d", {"out_channels": 6, "kernel_size": 11}),
            ("p1", "MaxPool2d", {"kernel_size": 2}),
            ("d1", "Dense", {"out_features": 32, "activation": "relu"}),
            ("out", "Dense", {"out_features": 64}),
        ],
        [("c1", "p1"), ("p1", "d1")],
        layout={"c1": [0, 100], "p1": [0, 200], "d1": [0, 300], "out": [0, 400]},
    )
    applied = []
    for _ in range(10):
        fixes = find_fixes(d, num_classes=10, input_shape=[1, 8, 8])
        if not fixes:
            break
        applied.append(fixes[0].id.split(":")[0])
        d = fixes[0].design
    assert analyze(d).problems == []
    assert {"input", "flatten", "connect", "classes"} <= set(applied)
    assert runs(d, [1, 8, 8]).shape == (2, 10)


def test_the_input_is_shaped_like_the_data():
    d = design(
        [("in", "Input", {"shape": [1, 8, 8]}), ("f", "Flatten", {}), ("d", "Dense", {})],
        [("in", "f"), ("f", "d")],
    )
    assert find_fixes(d, input_shape=[1, 8, 8]) == []
    fix = only_fix(d, "inputshape:", input_shape=[2])
    assert fix.node_id == "in"
    assert fix.design.models["model"].node("in").params["shape"] == [2]
    assert analyze(fix.design).problems == []


def test_a_square_vector_is_reshaped_for_a_convolution():
    d = design(
        [
            ("in", "Input", {"shape": [64]}),
            ("c", "Conv2d", {"padding": 1}),
            ("f", "Flatten", {}),
            ("d", "Dense", {"out_features": 10}),
        ],
        [("in", "c"), ("c", "f"), ("f", "d")],
    )
    fix = only_fix(d, "reshape:")
    assert fix.node_id == "c"
    assert fix.design.models["model"].node("reshape1").params == {"shape": [1, 8, 8]}
    assert analyze(fix.design).problems == []
    assert runs(fix.design, [64]).shape == (2, 10)


def test_no_rank_fix_without_an_obvious_shape():
    d = design(
        [("in", "Input", {"shape": [10]}), ("c", "Conv2d", {})],  # 10 values: no square image
        [("in", "c")],
    )
    assert not [f for f in find_fixes(d) if f.id.startswith(("reshape:", "flatten:"))]


def test_an_image_into_a_recurrent_layer_is_not_flattened():
    d = design(
        [("in", "Input", {"shape": [1, 8, 8]}), ("r", "LSTM", {})],
        [("in", "r")],
    )
    assert any(p.node_id == "r" for p in analyze(d).problems)
    assert not [f for f in find_fixes(d) if f.id.startswith("flatten:")]


def _language_model(embedding_params: dict) -> Design:
    return design(
        [
            ("tokens", "Input", {"shape": [16]}),
            ("embed", "Embedding", {"embedding_dim": 8, **embedding_params}),
            ("next", "Dense", {"out_features": 50}),
        ],
        [("tokens", "embed"), ("embed", "next")],
        task="language_model",
        dataset="python_docs",
    )


def test_an_embedding_left_empty_is_filled_from_the_vocabulary_and_one_set_is_kept():
    filled, ids = fill_from_data(_language_model({}), 103)
    assert ids == ["embed"] and filled.models["model"].node("embed").params["num_embeddings"] == 103
    kept, ids = fill_from_data(_language_model({"num_embeddings": 500}), 103)
    assert ids == [] and kept.models["model"].node("embed").params["num_embeddings"] == 500
    assert fill_from_data(_language_model({}), None) == (_language_model({}), [])


def test_a_language_model_is_sized_to_its_vocabulary_in_two_clicks():
    small = _language_model({"num_embeddings": 40})
    embed = only_fix(small, "vocab:", vocab_size=103)
    assert embed.label == "Set embed.num_embeddings to the vocabulary (103)"
    output = only_fix(embed.design, "classes:", vocab_size=103)
    fixed = output.design
    assert fixed.models["model"].node("next").params["out_features"] == 103
    assert find_fixes(fixed, vocab_size=103) == []
    logits = build_model(fixed)(torch.randint(0, 103, (2, 16)))
    assert logits.shape == (2, 16, 103)
