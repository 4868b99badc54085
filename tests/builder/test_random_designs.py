"""Property: for any random design, infer_shapes raises GraphError or the model runs with exactly those shapes."""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import builder
from builder import GraphError
from tests.builder.helpers import graph_design

SAMPLE_SHAPES = ([2, 6, 6], [5, 3], [7])
LAYERS = [
    (
        "Dense",
        lambda d: {
            "out_features": d(st.integers(1, 6)),
            "activation": d(st.sampled_from(["none", "relu", "tanh", "softmax"])),
        },
    ),
    (
        "Conv2d",
        lambda d: {
            "out_channels": d(st.integers(1, 4)),
            "kernel_size": d(st.integers(1, 4)),
            "padding": d(st.integers(0, 2)),
            "stride": d(st.integers(1, 2)),
        },
    ),
    (
        "ConvTranspose2d",
        lambda d: {
            "out_channels": d(st.integers(1, 3)),
            "kernel_size": d(st.integers(1, 3)),
            "stride": d(st.integers(1, 2)),
        },
    ),
    ("MaxPool2d", lambda d: {"kernel_size": d(st.integers(1, 3))}),
    ("AvgPool2d", lambda d: {"kernel_size": d(st.integers(1, 3)), "padding": d(st.integers(0, 1))}),
    ("Flatten", lambda d: {}),
    ("Reshape", lambda d: {"shape": d(st.sampled_from([[-1], [2, -1], [1, 3, -1], [3, 5]]))}),
    ("Dropout", lambda d: {"p": 0.2}),
    ("BatchNorm", lambda d: {}),
    ("LayerNorm", lambda d: {"activation": "gelu"}),
    ("Activation", lambda d: {"activation": d(st.sampled_from(["relu", "sigmoid", "softmax"]))}),
    ("LSTM", lambda d: {"hidden_size": d(st.integers(1, 4)), "return_sequences": d(st.booleans())}),
    ("GRU", lambda d: {"hidden_size": d(st.integers(1, 4)), "bidirectional": d(st.booleans())}),
    ("RNN", lambda d: {"hidden_size": 3}),
    ("Upsample", lambda d: {"scale_factor": d(st.sampled_from([1.0, 2.0, 1.5]))}),
]


@st.composite
def random_designs(draw):
    nodes = [("in", "Input", {"shape": draw(st.sampled_from(SAMPLE_SHAPES))})]
    edges = []
    for i in range(draw(st.integers(1, 7))):
        node_id = f"n{i}"
        if len(nodes) >= 2 and draw(st.integers(0, 4)) == 0:
            kind, params = draw(st.sampled_from(["Add", "Concat"])), {}
            if kind == "Concat":
                params["dim"] = draw(st.integers(0, 2))
            sources = draw(st.lists(st.sampled_from([n[0] for n in nodes]), min_size=2, max_size=3))
        else:
            kind, make = draw(st.sampled_from(LAYERS))
            params = make(draw)
            # Mostly extend the newest node (chains), sometimes branch from an older one.
            sources = [
                nodes[-1][0]
                if draw(st.integers(0, 3))
                else draw(st.sampled_from([n[0] for n in nodes]))
            ]
        nodes.append((node_id, kind, params))
        edges += [(s, node_id) for s in sources]
    return graph_design(nodes, edges)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_designs())
def test_random_designs_fail_cleanly_or_run_with_inferred_shapes(design):
    try:
        shapes = builder.infer_shapes(design)["model"]
    except GraphError as err:
        assert err.problems and all(str(p) for p in err.problems)
        return
    model = builder.build_model(design).eval()
    captured = {}
    for node_id, attr in model.NODE_MODULES.items():
        getattr(model, attr).register_forward_hook(
            lambda _m, _i, out, node_id=node_id: captured.__setitem__(node_id, out)
        )
    x = torch.randn(2, *shapes["in"])
    with torch.no_grad():
        model(x)
    for node_id, shape in shapes.items():
        if node_id != "in":
            assert list(captured[node_id].shape[1:]) == shape, node_id
