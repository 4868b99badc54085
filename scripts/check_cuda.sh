#!/usr/bin/env bash
# Checks the CUDA path on a machine with an NVIDIA GPU: training (plain and GAN) picks the GPU,
# feature capture works on a GPU model, and the exported train.py runs alone, under torchrun, and
# with --amp and --compile to the accuracy of a plain run.
# Usage: scripts/check_cuda.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
py=${PYTHON:-python3}

$py - <<'PY'
import torch
assert torch.cuda.is_available(), "no CUDA device visible to torch"
print("torch", torch.__version__, "on", torch.cuda.get_device_name(0))
PY

for preset in lenet_digits dcgan_digits; do
    echo "== builder train $preset"
    $py -m builder train "builder/design/presets/$preset.json" --epochs 3 --out "$out/$preset" \
        2> "$out/$preset.log" | tail -n 1
    grep -m 1 "on cuda" "$out/$preset.log"  # the trainer picked the GPU by itself
done

echo "== feature capture on the GPU"
$py - <<'PY'
import torch
from builder import build_model
from builder.inspection import capture
from builder.presets import load_preset

design = load_preset("lenet_digits")
model = build_model(design).cuda()
result = capture(design, model, torch.rand(1, 8, 8))
print({node: list(array.shape) for node, array in result.outputs.items()})
assert next(model.parameters()).is_cuda
PY

echo "== exported train.py, alone and under torchrun"
$py -m builder export builder/design/presets/lenet_digits.json -o "$out/export" > /dev/null
(cd "$out/export" && $py train.py --epochs 2 --out run1 | tail -n 2)
(cd "$out/export" && $py -m torch.distributed.run --nproc_per_node=1 train.py --epochs 1 --out run2 | tail -n 2)
echo "== exported train.py with --amp (float16 and a gradient scaler) and --compile"
(cd "$out/export" && $py train.py --epochs 2 --out run_amp --amp | tail -n 1)
(cd "$out/export" && $py train.py --epochs 2 --out run_compile --compile | tail -n 1)
(cd "$out/export" && $py train.py --epochs 2 --out run_both --amp --compile | tail -n 1)
$py - "$out/export" <<'PY'
import json, sys
from pathlib import Path

folder = Path(sys.argv[1])
last = {
    run: json.loads((folder / run / "metrics.jsonl").read_text().splitlines()[-1])
    for run in ("run1", "run_amp", "run_compile", "run_both")
}
for run, row in last.items():
    print(run, "val_accuracy", row["val_accuracy"], "samples/s", round(row["samples_per_sec"]))
    assert abs(row["val_accuracy"] - last["run1"]["val_accuracy"]) <= 0.05, run
PY
echo "CUDA checks passed"
