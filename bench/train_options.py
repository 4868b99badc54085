"""Step time of train.py with --amp and --compile against a plain run, printed as JSON lines.

Each variant trains the same preset in this process with the design's own train() (the code
`python train.py` runs); the first epoch is left out of the step time, since --compile spends it
compiling. Reports per-step milliseconds, the ratio to plain, the compile warm-up and the final
validation accuracy, for the device it finds (CPU here; CUDA where there is one).

    python bench/train_options.py [--preset lenet_digits] [--epochs 4]
"""

from __future__ import annotations

import argparse
import json
import statistics

import torch

from builder.codegen.program import training_program
from builder.data import load_for_design
from builder.design.presets import load_preset

VARIANTS = {
    "plain": {},
    "amp": {"amp": True},
    "compile": {"compile_model": True},
    "amp+compile": {"amp": True, "compile_model": True},
}


class Hooks:
    """What the loop needs from its caller: it keeps each epoch's row."""

    step_every = 10**9
    stopped = False

    def __init__(self):
        self.epochs = []

    def checkpoint(self):
        return True

    def epoch_weights(self, get):
        pass

    def emit(self, event, /, **fields):
        if event == "epoch":
            self.epochs.append(fields)


def measure(program, data, epochs: int, device: str, options: dict) -> dict:
    hooks = Hooks()
    program.train(hooks, data, epochs=epochs, device=device, **options)
    rows = hooks.epochs
    per_step = [r["seconds"] for r in rows]  # cumulative; turn into per-epoch durations
    durations = [b - a for a, b in zip([0.0, *per_step], per_step, strict=False)]
    steps = rows[0]["step"]
    return {
        "step_ms": round(1000 * statistics.median(durations[1:]) / steps, 3),
        "first_epoch_s": round(durations[0], 3),
        "val_accuracy": rows[-1].get("val_accuracy"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="lenet_digits")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--tiny", action="store_true", help="the moons MLP for one epoch: it runs")
    args = parser.parse_args()
    if args.tiny:
        args.preset, args.epochs = "mlp_moons", 2  # the first epoch is left out as warm-up
    device = "cuda" if torch.cuda.is_available() else "cpu"
    design = load_preset(args.preset)
    dataset = load_for_design(design)
    data = {
        "x_train": dataset.x_train,
        "y_train": dataset.y_train,
        "x_val": dataset.x_val,
        "y_val": dataset.y_val,
        "classes": dataset.class_names,
        "vocab": dataset.vocab,
    }
    program = training_program(design)
    results = {
        name: measure(program, data, args.epochs, device, opts) for name, opts in VARIANTS.items()
    }
    plain = results["plain"]["step_ms"]
    for name, result in results.items():
        line = {"bench": "train_options", "preset": args.preset, "device": device, "variant": name}
        line.update(result, ratio_to_plain=round(result["step_ms"] / plain, 3))
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
