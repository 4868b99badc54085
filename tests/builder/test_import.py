"""Importing PyTorch and ONNX models: exact outputs, a round trip, refusals by name and place."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import onnx
import pytest
import torch
from onnx import TensorProto, helper

from builder import build_model, load_design
from builder.design.presets import list_presets, load_preset
from builder.importers.from_onnx import import_onnx
from builder.importers.from_torch import import_module, trace
from builder.importers.graph import ImportRefused
from builder.importers.saved import imported_weights, keep_import
from builder.layers.registry import get_kind
from tests.builder import import_models as models
from tests.builder.model_files import MODELS, made, onnx_bytes

ROOT = Path(__file__).resolve().parents[2]


def assert_same_outputs(design, weights, module, shape):
    ours = build_model(design)
    ours.load_state_dict(weights)
    ours.eval()
    x = torch.randn(5, *shape, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), module(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", list(MODELS))
def test_a_traced_model_imports_with_its_weights_and_gives_its_outputs(name):
    module, shape = made(name)
    design, weights, diff = import_module(module, shape)
    assert diff <= 1e-5
    assert_same_outputs(design, weights, module, shape)
    ids = {n.id for n in design.models["model"].nodes}
    assert {"lenet5": "fc1", "residual": "block_conv", "two_branch": "left_0"}.get(name, "x") in ids


@pytest.mark.parametrize("name", list(MODELS))
def test_an_onnx_file_imports_with_its_initializers_and_gives_the_originals_outputs(name):
    module, shape = made(name)
    design, weights, diff = import_onnx(onnx_bytes(module, shape), name)
    assert diff is not None and diff <= 1e-5
    assert_same_outputs(design, weights, module, shape)


def test_a_model_torch_fx_cannot_trace_is_captured_with_torch_export():
    torch.manual_seed(2)
    module = models.ShapeBranch().eval()
    module.bn.running_mean.uniform_(-1, 1)
    with pytest.raises(ImportRefused, match="torch.fx cannot trace"):
        trace(module)
    design, weights, diff = import_module(module, [1, 4, 8])
    assert diff <= 1e-5
    assert_same_outputs(design, weights, module, [1, 4, 8])
    nodes = {n.id: n for n in design.models["model"].nodes}
    assert nodes["gru"].params["return_sequences"] is False
    assert nodes["head"].params["activation"] == "log_softmax"


def test_activations_fold_into_the_layer_before_them():
    design, _, _ = import_module(*made("lenet5"))
    nodes = {n.id: n for n in design.models["model"].nodes}
    assert nodes["conv1"].params["activation"] == "relu"
    assert nodes["conv2"].params["activation"] == "tanh"
    assert not any(n.type == "Activation" for n in nodes.values())
    kept, _, _ = import_module(*made("norm_leaky"))  # LeakyReLU(0.01) is not the design's 0.2
    leaky = next(n for n in kept.models["model"].nodes if n.type == "Activation")
    assert leaky.params == {"activation": "leaky_relu", "negative_slope": 0.01}


IMPORTABLE = [  # models that read token ids (an Embedding) are not imported yet
    p["name"]
    for p in list_presets()
    if "gan" not in p["name"]
    and not any(n.type == "Embedding" for n in load_preset(p["name"]).models["model"].nodes)
]


@pytest.mark.parametrize("preset", IMPORTABLE)
def test_importing_our_own_model_py_gives_back_the_same_graph(preset):
    design = load_preset(preset)
    model = build_model(design)
    again, weights, diff = import_module(model, model.INPUT_SHAPE)

    def graph(d):
        g = d.models["model"]
        nodes = sorted((n.id, n.type, str(get_kind(n.type).resolve(n.params))) for n in g.nodes)
        return nodes, sorted(g.edges)

    assert graph(again) == graph(design) and diff == 0.0


def test_what_cannot_be_mapped_is_refused_by_name_and_place():
    with pytest.raises(ImportRefused) as refused:
        import_module(models.Cumsum(), [4])
    assert "torch.cumsum at forward line" in str(refused.value) and "supported:" in str(
        refused.value
    )
    with pytest.raises(ImportRefused, match="module 'lstm': needs batch_first=True"):
        import_module(models.TimeFirst(), [5, 3])
    tokens = torch.nn.Sequential(
        torch.nn.Embedding(50, 8), torch.nn.Flatten(), torch.nn.Linear(32, 2)
    )
    with pytest.raises(ImportRefused, match="nn.Embedding at 0: a model of tokens cannot be"):
        import_module(tokens, [4])


def _graph(nodes, initializers=(), inputs=None):
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_hostile_onnx_files_are_refused_and_nothing_in_them_runs():
    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 4], [0.0] * 16)
    external = onnx.TensorProto()
    external.CopyFrom(weight)
    external.ClearField("float_data")
    external.data_location = TensorProto.EXTERNAL
    external.external_data.add(key="location", value="/etc/passwd")
    gemm = helper.make_node("Gemm", ["x", "w"], ["y"], name="/fc/Gemm")
    with pytest.raises(ImportRefused, match="external data"):
        import_onnx(_graph([gemm], [external]))
    branch = helper.make_graph([], "b", [], [])
    nested = helper.make_node("If", ["x"], ["y"], then_branch=branch, else_branch=branch)
    with pytest.raises(ImportRefused, match="nested graph"):
        import_onnx(_graph([nested]))
    huge = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 10**9])
    with pytest.raises(ImportRefused, match="fixed sample shape"):
        import_onnx(_graph([gemm], [weight], [huge]))
    whole = _graph([gemm], [weight])
    with pytest.raises(ImportRefused, match="not a readable ONNX file"):
        import_onnx(whole[: len(whole) // 2])
    cumsum = helper.make_node("CumSum", ["x", "axis"], ["y"], name="/scan/CumSum")
    axis = helper.make_tensor("axis", TensorProto.INT64, [], [1])
    with pytest.raises(
        ImportRefused, match="'/scan/CumSum' \\(CumSum\\): CumSum has no layer kind"
    ):
        import_onnx(_graph([cumsum], [axis]))


def cli(*args, cwd):
    proc = subprocess.run(
        [sys.executable, "-m", "builder", "import", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.mark.slow
def test_the_import_command_from_a_py_file_and_an_onnx_file_keeps_the_weights(tmp_path):
    source = tmp_path / "my_models.py"
    source.write_text(Path(models.__file__).read_text())
    module, shape = made("residual")
    torch.save(module.state_dict(), tmp_path / "trained.pt")
    proc = cli("my_models.py:ResidualCNN", "--input-shape", "1,8,8", "--weights", "trained.pt",
               "-o", "design.json", "--weights-out", "imported.pt", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    design = load_design(tmp_path / "design.json")
    weights = torch.load(tmp_path / "imported.pt", weights_only=True)
    assert_same_outputs(design, weights, module, shape)
    (tmp_path / "model.onnx").write_bytes(onnx_bytes(module, shape))
    proc = cli("model.onnx", "-o", "from_onnx.json", "--weights-out", "w2.pt", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_same_outputs(
        load_design(tmp_path / "from_onnx.json"),
        torch.load(tmp_path / "w2.pt", weights_only=True),
        module,
        shape,
    )
    refused = cli("my_models.py:Cumsum", "--input-shape", "4", "-o", "no.json", cwd=tmp_path)
    assert refused.returncode == 1 and "torch.cumsum" in refused.stderr
    assert not (tmp_path / "no.json").exists()
    missing = cli("my_models.py:Nope", "--input-shape", "4", "-o", "no.json", cwd=tmp_path)
    assert missing.returncode == 1 and "has no nn.Module class 'Nope'" in missing.stderr


def test_a_hundred_layer_model_imports_whole():
    layers = []
    for _ in range(50):
        layers += [torch.nn.Linear(32, 32), torch.nn.ReLU()]
    module = torch.nn.Sequential(*layers)
    design, weights, diff = import_module(module, [32])
    assert len(design.models["model"].nodes) == 51  # the ReLUs fold into their layers
    assert diff == 0.0 and len(weights) == 100


def test_imported_weights_are_kept_in_the_workspace_and_only_read_back_from_there(tmp_path):
    module, shape = made("two_branch")
    design, weights, _ = import_onnx(onnx_bytes(module, shape), "two")
    kept = keep_import(design, weights, "two.onnx", tmp_path)
    path = imported_weights(kept, tmp_path)
    assert path is not None and path.parent == tmp_path / "imports"
    assert_same_outputs(kept, torch.load(path, weights_only=True), module, shape)
    assert load_design(kept.to_json()).layout["_import"]["source"] == "two.onnx"
    for hostile in ("../secret.pt", "/etc/passwd", "imports/../../x.pt", "imports/AAAA.pt"):
        forged = replace(kept, layout={"_import": {"weights": hostile}})
        assert imported_weights(forged, tmp_path) is None
