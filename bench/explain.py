"""Time from a chosen validation sample to its attribution, printed as JSON lines.

For the LeNet and Transformer presets (trained weights are not needed for timing: the work per
sample is the same), each method's median over --rounds, measured after one warm-up call. The
page's goals on a 2-core machine: under 1 s for Saliency and Grad-CAM, under 3 s for Integrated
Gradients. The Transformer's time includes its attention maps, which the page shows with it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

import builder
from builder.design.presets import load_preset
from builder.introspect.methods import DEFAULT_STEPS
from builder.introspect.samples import design_data

CASES = {
    "lenet_digits": ("saliency", "integrated_gradients", "grad_cam"),
    "transformer_text": ("saliency", "integrated_gradients"),
}


def time_case(name: str, method: str, rounds: int, steps: int) -> dict:
    design = load_preset(name)
    torch.manual_seed(0)
    weights = builder.build_model(design).state_dict()
    data = design_data(design)  # loaded once, as the page holds it
    times = []
    for index in range(rounds + 1):
        started = time.perf_counter()
        result = builder.explain(
            design, weights, data=data, index=index, method=method, steps=steps
        )
        times.append(time.perf_counter() - started)
    row = {
        "bench": "explain",
        "preset": name,
        "method": method,
        "median_s": round(statistics.median(times[1:]), 4),
        "max_s": round(max(times[1:]), 4),
        "rounds": rounds,
    }
    if result.delta is not None:
        row["steps"] = steps
        row["relative_delta"] = round(result.relative_delta, 6)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--tiny", action="store_true", help="one round of few steps: it runs")
    args = parser.parse_args()
    if args.tiny:
        args.rounds, args.steps = 1, 8
    torch.set_num_threads(2)
    for name, methods in CASES.items():
        for method in methods:
            print(json.dumps(time_case(name, method, args.rounds, args.steps)), flush=True)


if __name__ == "__main__":
    main()
