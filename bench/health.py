"""Health benchmarks: what recording costs, and whether the finder's rate trains.

    python bench/health.py [--reps 5] [--epochs N] [--only overhead|finder] [--presets ...] [--tiny]

Prints one JSON object per line. Targets:
- health_overhead (lenet_digits, mlp_moons, transformer_text): training steps per second with
  health recorded at the default interval against none, same process, one torch thread, CPU
  time of the training steps, runs interleaved, medians, each run as long as the preset's own
  (the first step's record costs most, so short runs pay more): at most 3% slower (>= 0.97)
- lr_finder_lenet: the finder's suggested rate trains LeNet on digits to >= 95% validation
  accuracy in 10 epochs
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from builder.codegen.program import training_program  # noqa: E402
from builder.design.presets import load_preset  # noqa: E402
from builder.training.checks import checked_inputs  # noqa: E402
from builder.training.lr_find import find_learning_rate  # noqa: E402
from builder.training.runner import program_data  # noqa: E402

PRESETS = ("lenet_digits", "mlp_moons", "transformer_text")


class Hooks:
    """train()'s hooks that time the training steps in CPU time of this thread (torch on one
    thread computes here), so other processes on a busy machine do not count. checkpoint() is
    called as each step starts: the time between two calls in one epoch is one whole step
    (health record included); the last step of an epoch, which runs into evaluation, is left
    out."""

    step_every = 1000
    stopped = False

    def __init__(self):
        self.per_epoch = None
        self.in_epoch = 0
        self.last = None
        self.seconds = 0.0
        self.steps = 0

    def emit(self, kind, /, **fields):
        if kind == "start":
            self.per_epoch = fields["steps_per_epoch"]

    def checkpoint(self):
        now = time.thread_time()
        if self.last is not None and self.in_epoch % self.per_epoch != 0:
            self.seconds += now - self.last
            self.steps += 1
        self.in_epoch += 1
        self.last = now
        return True

    def epoch_weights(self, weights):
        pass


def steps_per_second(program, data, settings, health_every, epochs) -> float:
    hooks = Hooks()
    program.train(hooks, data, epochs=epochs, seed=settings["seed"],
                  batch_size=settings["batch_size"], health_every=health_every)  # fmt: skip
    return hooks.steps / hooks.seconds


def overhead(name: str, reps: int, epochs: int | None) -> dict:
    design = load_preset(name)
    epochs = epochs or int(design.training["epochs"])
    settings, dataset = checked_inputs(design, epochs=None, seed=None, dataset=None, data_root=None)
    program = training_program(design)
    data = program_data(dataset)
    steps_per_second(program, data, settings, program.HEALTH_EVERY, 1)  # warm up
    on, off = [], []
    for _ in range(reps):  # interleaved, so a busy machine slows both alike
        off.append(steps_per_second(program, data, settings, 0, epochs))
        on.append(steps_per_second(program, data, settings, program.HEALTH_EVERY, epochs))
    ratio = statistics.median(on) / statistics.median(off)
    return {"bench": "health_overhead", "preset": name, "health_every": program.HEALTH_EVERY,
            "epochs": epochs, "steps_per_s_on": statistics.median(on), "steps_per_s_off": statistics.median(off),
            "ratio": ratio, "target": ">= 0.97", "ok": ratio >= 0.97}  # fmt: skip


def finder(epochs: int = 10) -> dict:
    design = load_preset("lenet_digits")
    found = find_learning_rate(design)
    lr = found["suggested_lr"]
    tuned = design.to_dict()
    tuned["training"]["optimizer"]["lr"] = lr
    tuned["training"]["epochs"] = epochs
    settings, dataset = checked_inputs(tuned, epochs=None, seed=None, dataset=None, data_root=None)
    program = training_program(tuned)

    class Quiet(Hooks):
        def checkpoint(self):
            return True

    out = program.train(Quiet(), program_data(dataset), epochs=epochs, seed=settings["seed"],
                        batch_size=settings["batch_size"])  # fmt: skip
    accuracy = out["final"]["val_accuracy"]
    return {"bench": "lr_finder_lenet", "optimizer": tuned["training"]["optimizer"]["type"],
            "suggested_lr": lr, "steps": len(found["lrs"]), "val_accuracy": accuracy,
            "epochs": epochs, "target": ">= 0.95 in 10 epochs", "ok": accuracy >= 0.95}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None, help="default: the preset's own")
    parser.add_argument("--only", choices=("overhead", "finder"), default=None)
    parser.add_argument("--presets", nargs="*", default=list(PRESETS))
    parser.add_argument("--tiny", action="store_true",
                        help="one rep of one epoch of mlp_moons, a one-epoch finder check")  # fmt: skip
    args = parser.parse_args()
    if args.tiny:  # every part at its smallest: the figures mean nothing
        args.reps, args.epochs, args.presets = 1, 1, ["mlp_moons"]
    torch.set_num_threads(1)  # the step timer reads this thread's CPU time
    if args.only in (None, "overhead"):
        for name in args.presets:
            print(json.dumps(overhead(name, args.reps, args.epochs)), flush=True)
    if args.only in (None, "finder"):
        print(json.dumps(finder(1 if args.tiny else 10)), flush=True)


if __name__ == "__main__":
    main()
