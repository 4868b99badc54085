"""`python -m builder explain DESIGN --weights W --index I --method M --out OUT.npz`.

Explains one validation sample of the design's data (or of --data FILE, any file the design can
train on) with the trained weights, and writes `attribution` (the input's shape; Grad-CAM: the
input's spatial size), `target` and `probabilities` (empty for a regression) to an NPZ file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from builder.errors import DesignError
from builder.introspect.baselines import BASELINES
from builder.introspect.methods import DEFAULT_STEPS, METHODS


def explain_command(args) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".npz":
        raise DesignError(f"--out must name an .npz file, got {out.name}")
    from builder.introspect.explain import explain  # deferred on purpose: captum is slow

    result = explain(
        args.design,
        args.weights,
        data=args.data,
        index=args.index,
        method=args.method,
        node=args.node,
        target=args.target,
        baseline=args.baseline,
        steps=args.steps,
    )
    probabilities = result.probabilities
    np.savez(
        out,
        attribution=result.attribution,
        target=np.int64(result.target),
        probabilities=np.zeros(0, np.float32) if probabilities is None else probabilities,
    )
    line = f"{result.method} for target {result.target}"
    if probabilities is not None:
        line += f" (probability {probabilities[result.target]:.3f})"
    if result.delta is not None:
        line += f"; convergence delta {result.delta:+.2e} ({100 * result.relative_delta:.2f}%)"
    print(f"{line} -> {out}")
    return 0


def add_explain_command(subparsers) -> None:
    p = subparsers.add_parser(
        "explain", help="attribute a trained model's prediction on one sample to its input"
    )
    p.add_argument("design", help="design JSON file")
    p.add_argument("--weights", required=True, help="the trained state_dict (.pt)")
    p.add_argument("--data", default=None, help="a data file (default: the design's data set)")
    p.add_argument("--index", type=int, default=0, help="which validation sample")
    p.add_argument("--method", choices=METHODS, default="saliency")
    p.add_argument("--node", default=None, help="Grad-CAM's convolution node (default: the last)")
    p.add_argument("--target", type=int, default=None, help="output to explain (default: top)")
    p.add_argument("--baseline", choices=BASELINES, default="zeros", help="Integrated Gradients")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="Integrated Gradients' steps")
    p.add_argument("--out", required=True, help="the .npz file to write")
    p.set_defaults(func=explain_command)
