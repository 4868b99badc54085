"""User text never becomes code: every string a design carries into a generated file stays data.

Hostile text goes into the design's name, node ids, data-set path, CSV target and layout keys;
every generated Python file must compile, and executing it must give back each string exactly
as a value (so none of it ran), and a real train.py run must execute nothing injected.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder import generate_code, load_design
from builder.codegen.execute import run_source
from builder.codegen.model_source import model_module
from builder.codegen.names import literal
from builder.codegen.training_source import generate_train_script
from builder.export.bundle import bundle_files

pytestmark = pytest.mark.slow

PAYLOADS = [
    'x"""\nimport os; open("INJECTED", "w").write("name")\n"""',
    "x'''\nraise SystemExit(3)\n'''",
    '"); import os; os.system("touch INJECTED") #',
    "\\\n__import__('os').system('touch INJECTED')",
    "{__import__('os')}",
    "a\r\nb\x00c\u2028d\x1b[31m",
]
hostile = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(min_size=1, max_size=40),
    st.text(alphabet="\"'\\\n\r#{}()\x00 ;a", min_size=1, max_size=30),
)


def design_with(name, node_id, path, target, layout_key):
    return {
        "version": 1,
        "name": name,
        "models": {
            "model": {
                "nodes": [
                    {"id": "in", "type": "Input", "params": {"shape": [2]}},
                    {"id": node_id, "type": "Dense", "params": {"out_features": 4}},
                    {"id": "out", "type": "Dense", "params": {"out_features": 2}},
                ],
                "edges": [["in", node_id], [node_id, "out"]],
            }
        },
        "training": {"dataset": {"type": "csv", "path": path, "target": target}},
        "layout": {layout_key: [0, 0], node_id: [100, 0]},
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, node_id=hostile, path=hostile, target=hostile, layout_key=hostile)
def test_hostile_text_stays_data_in_every_generated_file(name, node_id, path, target, layout_key):
    if node_id in ("in", "out"):
        node_id = node_id + "!"
    design = load_design(design_with(name, node_id, path + ".csv", target, layout_key))
    model_source = generate_code(design)
    train_source = generate_train_script(design)
    compile(model_source, "model.py", "exec")
    compile(train_source, "train.py", "exec")
    model = model_module(design)
    assert node_id in model.Model.NODE_MODULES
    train = run_source(train_source, "train.py", "hostile_train", modules={"model": model})
    assert train.DESIGN_NAME == name
    assert train.DATA == path + ".csv"
    assert train.TARGET == target
    readme = bundle_files(design)["README.md"].decode("utf-8")
    first_line = readme.splitlines()[0]
    assert first_line == f"# Design {literal(name)}"  # one line, the name as an escaped string


def test_running_a_hostile_design_train_py_executes_nothing_injected(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 3},{i % 2}\n" for i in range(60)))
    for i, payload in enumerate(PAYLOADS[:4]):
        folder = tmp_path / f"export{i}"
        folder.mkdir()
        raw = design_with(payload, "h" + payload, str(data), "label", payload)
        raw["training"]["epochs"] = 1
        design = load_design(raw)
        (folder / "model.py").write_text(generate_code(design))
        (folder / "train.py").write_text(generate_train_script(design))
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        proc = subprocess.run(
            [sys.executable, "train.py", "--out", "out"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr
        assert not (folder / "INJECTED").exists()
        assert (folder / "out" / "weights.pt").is_file()
