"""Command line: `python -m builder check | export | train | import | serve | explain`. Never a traceback for a user's mistake."""

from __future__ import annotations

import argparse
import sys

from builder.cli.explain import add_explain_command
from builder.cli.import_model import add_import_command
from builder.cli.serve import add_serve_command
from builder.cli.train import add_train_command
from builder.codegen.names import literal
from builder.design.settings import resolved_training
from builder.design.shapes import analyze
from builder.design.spec import load_design
from builder.errors import DesignError, GraphError
from builder.export.files import export_design
from builder.introspect.flops import FLOP_MEANING, design_flops, fmt_flops
from builder.layers.registry import fmt_shape

EXIT_PROBLEMS = 1
EXIT_UNREADABLE = 2


def _shown(text: str) -> str:
    return text if text.isprintable() else literal(text)


def check_command(args) -> int:
    design = load_design(args.design)
    result = analyze(design, args.param_limit)
    if result.problems:
        for problem in result.problems:
            print(f"error: {_shown(str(problem))}")
        return EXIT_PROBLEMS
    flops = design_flops(design, result)
    rows = []
    for model, graph in design.models.items():
        types = {n.id: n.type for n in graph.nodes}
        for node_id in result.order[model]:
            count = result.params[model].get(node_id, 0)
            label = node_id if len(design.models) == 1 else f"{model}/{node_id}"
            rows.append(
                (
                    _shown(label),
                    types[node_id],
                    fmt_shape(result.shapes[model][node_id]),
                    f"{count:,}",
                    f"{flops.nodes[model].get(node_id, 0):,}",
                )
            )
    header = ("node", "type", "output shape", "params", "forward FLOPs")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(
            "  ".join(
                cell.ljust(w) if i < 3 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print(f"total parameters: {result.total_params:,}")
    print(flops_summary(design, flops))
    return 0


def flops_summary(design, flops) -> str:
    """The model's forward FLOPs per sample and one training step's, and what a FLOP is."""
    batch = int(resolved_training(dict(design.training or {}))["batch_size"])
    return (
        f"forward FLOPs per sample: {flops.total:,} ({fmt_flops(flops.total)})\n"
        f"one training step (batch {batch}, forward and backward): about "
        f"{flops.training_step(batch):,} ({fmt_flops(flops.training_step(batch))})\n"
        f"{FLOP_MEANING}"
    )


def export_command(args) -> int:
    for path in export_design(load_design(args.design), args.out):
        print(path)
    return 0


def add_check_command(subparsers) -> None:
    p = subparsers.add_parser("check", help="lint a design and print its shapes and parameters")
    p.add_argument("design", help="design JSON file")
    p.add_argument(
        "--param-limit", type=int, default=None, help="refuse designs over this many parameters"
    )
    p.set_defaults(func=check_command)


def add_export_command(subparsers) -> None:
    p = subparsers.add_parser("export", help="write model.py, train.py and design.json")
    p.add_argument("design", help="design JSON file")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.set_defaults(func=export_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m builder", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_check_command(subparsers)
    add_export_command(subparsers)
    add_train_command(subparsers)
    add_import_command(subparsers)
    add_serve_command(subparsers)
    add_explain_command(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GraphError as exc:
        for problem in exc.problems:
            print(f"error: {_shown(str(problem))}", file=sys.stderr)
        return EXIT_PROBLEMS
    except DesignError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
