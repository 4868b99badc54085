"""Everything a user takes home in one ZIP: model.py, train.py, design.json, weights, README.

The texts come from `builder.export.files` (the same source that trains in the app), so the files in
the ZIP are byte for byte the files shown on the page and written by `python -m builder export`.
"""

from __future__ import annotations

import io
import shlex
import time
import zipfile
from pathlib import Path

from builder.codegen.names import literal
from builder.data.datasets import confined
from builder.data.sources import DataError
from builder.data.text import VOCAB_FILE
from builder.design.spec import load_design
from builder.export.explain_readme import explain_section
from builder.export.files import export_files

MAX_BUNDLED_DATA = 20 * 2**20  # a user's data file travels in the ZIP up to this size


def data_file(design, data_root) -> Path | None:
    """The user's data file the design trains on, when it lies in `data_root` (their uploads),
    exists and is small enough to bundle; a design naming any other file bundles nothing."""
    spec = (load_design(design).training or {}).get("dataset")
    if data_root is None or not isinstance(spec, dict) or not spec.get("path"):
        return None
    try:
        path = confined(spec["path"], data_root)
    except DataError:
        return None
    if not path.is_file() or path.stat().st_size > MAX_BUNDLED_DATA:
        return None
    return path


def readme_text(
    design, files: list[str], *, run_id: int | None = None, data: str | None = None
) -> str:
    design = load_design(design)
    gan = design.is_gan
    classes = "`Generator` and `Discriminator`" if gan else "`Model`"
    lines = [
        f"# Design {literal(design.name)}",
        "",
        "Exported from netbuilder: `model.py` is the exact source the app built and trained.",
        "",
        "## Files",
        "",
        f"- `model.py`: the PyTorch model ({classes}); needs only torch.",
    ]
    if "train.py" in files:
        lines.append(
            "- `train.py`: trains `model.py` on the design's data set with its loss, optimizer "
            "and schedule; writes `metrics.jsonl` and `weights.pt` to `--out`, by default a new "
            "folder `runs/<date>-<time>/` beside it (the files here are never overwritten)."
        )
    lines.append("- `design.json`: the design; open it in netbuilder to keep editing.")
    for name in files:
        if name.endswith(".ipynb"):
            lines.append(
                f"- `{name}`: a notebook that explains the design layer by layer and trains it "
                "with `train.py`'s own functions (Jupyter or Colab, with the files beside it)."
            )
    if "weights.pt" in files:
        which = f" of run #{run_id}" if run_id is not None else ""
        shape = ' ({"generator": ..., "discriminator": ...})' if gan else ""
        lines.append(f"- `weights.pt`: the trained state_dict{which}{shape}.")
    for name in files:
        if name.endswith(".onnx"):
            lines.append(f"- `{name}`: the trained model in ONNX (input `input`, output `output`).")
    if data:
        lines.append(f"- {literal(data)}: the data set the design trains on.")
    data_flag = f" --data {shlex.quote(data)}" if data else ""
    lines += [
        "",
        "## Run",
        "",
        "```",
        "pip install torch numpy scikit-learn pillow",
        "python model.py                 # builds the model and prints it",
    ]
    if "train.py" in files:
        lines += [
            f"python train.py --epochs 10{data_flag}",
            "python train.py --help          # --epochs --lr --batch-size --data --seed --out",
            "python train.py --amp --compile --tensorboard tb   # mixed precision, torch.compile, logs",
            "```",
            "",
            "## Several processes or machines (torchrun)",
            "",
            "`train.py` runs unchanged under torchrun with DistributedDataParallel (gloo on the",
            "CPU, nccl on GPUs); each process trains on its share of the data, and only rank 0",
            "logs and saves. `--batch-size` is per process.",
            "",
            "```",
            f"torchrun --nproc_per_node=2 train.py --epochs 10{data_flag}",
            "torchrun --nnodes=2 --nproc_per_node=4 --rdzv-backend=c10d \\",
            f"    --rdzv-endpoint=HOST:29500 train.py{data_flag}   # on each machine",
        ]
    lines.append("```")
    if "weights.pt" in files:
        name = "Generator" if gan else "Model"
        key = '["generator"]' if gan else ""
        lines += [
            "",
            "## Use the trained weights",
            "",
            "```python",
            "import torch",
            f"from model import {name}",
            "",
            f"model = {name}()",
            f'model.load_state_dict(torch.load("weights.pt", weights_only=True){key})',
            "model.eval()",
            "```",
        ]
    lines += explain_section(design, "weights.pt" in files)
    return "\n".join(lines) + "\n"


def bundle_files(
    design,
    *,
    weights_path: str | Path | None = None,
    run_id: int | None = None,
    onnx=None,
    data_root=None,
) -> dict[str, bytes]:
    """File name -> bytes of everything in the ZIP (README.md included).

    `onnx` is a `builder.export.onnx.OnnxResult`; its file is added when it holds data. The
    design's data file travels along only from inside `data_root` (the app: the uploads).
    """
    design = load_design(design)
    files = {name: text.encode("utf-8") for name, text in export_files(design).items()}
    if weights_path is not None and Path(weights_path).is_file():
        files["weights.pt"] = Path(weights_path).read_bytes()
        vocab = Path(weights_path).with_name(VOCAB_FILE)  # a text run's tokens, in id order
        if vocab.is_file():
            files[VOCAB_FILE] = vocab.read_bytes()
    if onnx is not None and getattr(onnx, "data", None):
        files[onnx.file_name] = onnx.data
    data = data_file(design, data_root)
    data_name = None
    if data is not None:
        data_name = f"data/{data.name}"
        files[data_name] = data.read_bytes()
    readme = readme_text(design, list(files), run_id=run_id, data=data_name)
    return {"README.md": readme.encode("utf-8"), **files}


def bundle_zip(files: dict[str, bytes], folder: str) -> bytes:
    """One ZIP with every file inside `folder/`."""
    buffer = io.BytesIO()
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
