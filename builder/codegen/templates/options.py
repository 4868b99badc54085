"""What train.py offers beyond the plain loop, each off by default so a plain run is unchanged:
mixed precision (--amp), torch.compile (--compile) and TensorBoard logs (--tensorboard DIR)."""

import argparse
import contextlib
import math

import torch

# ---- train.py ----
# Options: mixed precision, compilation and TensorBoard. Each is off unless asked for, and off
# the training runs exactly as without them.


class Precision:
    """--amp: the forward pass and loss in bfloat16 on the CPU, or in float16 on CUDA with a
    gradient scaler (float16 gradients underflow without one). Off: plain float32."""

    def __init__(self, enabled, device):
        self.enabled = bool(enabled)
        self.device_type = device.type
        self.dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
        use_scaler = self.enabled and device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if use_scaler else None

    def autocast(self):
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def backward(self, loss):
        (loss if self.scaler is None else self.scaler.scale(loss)).backward()

    def step(self, optimizer):
        if self.scaler is None:
            optimizer.step()
        else:
            self.scaler.step(optimizer)  # skipped when the scaled gradients overflowed

    def update(self):
        """Once per training step, after every optimizer of the step has stepped."""
        if self.scaler is not None:
            self.scaler.update()


def compiled(module, enabled):
    """--compile: the module compiled by torch.compile (its first steps pay for compiling; the
    weights stay those of `module`). Off: `module` itself."""
    return torch.compile(module) if enabled else module


class TensorBoardLog:
    """--tensorboard DIR: every number each epoch logs (the learning rate among them) and each
    step's losses as scalars, and each epoch the histograms of every layer's weights and of the
    gradients of its last step, in event files that TensorBoard reads (tensorboard --logdir DIR)."""

    COUNTERS = ("epoch", "epochs", "step", "batch", "batches")  # positions, not measurements

    def __init__(self, folder):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise TrainingError(
                "--tensorboard needs the tensorboard package, which is not installed: "
                "pip install tensorboard (or run without --tensorboard)"
            ) from None
        self.writer = SummaryWriter(log_dir=str(folder))

    def wrap(self, emit):
        """`emit`, also writing the step and epoch events' numbers to TensorBoard."""

        def both(event, /, **fields):
            self.record(event, fields)
            emit(event, **fields)

        return both

    def record(self, event, fields):
        if event not in ("step", "epoch"):
            return
        group = "train_step" if event == "step" else "epoch"
        for key, value in fields.items():
            if key in self.COUNTERS or isinstance(value, bool):
                continue
            if isinstance(value, int | float) and math.isfinite(value):
                self.writer.add_scalar(f"{group}/{key}", value, fields["step"])
        if event == "epoch":
            self.writer.flush()  # an epoch's numbers are on disk even if a later one fails

    def histograms(self, models, step):
        """Weights and gradients of every layer of `models` (name prefix -> module)."""
        for prefix, model in models.items():
            for name, param in model.named_parameters():
                tag = prefix + name
                self.writer.add_histogram(f"weights/{tag}", param.detach().float().cpu(), step)
                if param.grad is not None:
                    grad = param.grad.detach().float().cpu()
                    self.writer.add_histogram(f"gradients/{tag}", grad, step)
        self.writer.flush()

    def close(self):
        self.writer.close()


def tensorboard_log(folder, rank):
    """The TensorBoard log of this process (rank 0 writes it), or None without --tensorboard."""
    return TensorBoardLog(folder) if folder and rank == 0 else None


def add_option_arguments(parser):
    """--amp, --compile (their defaults are the design's) and --tensorboard DIR."""
    on_off = argparse.BooleanOptionalAction
    parser.add_argument("--amp", action=on_off, default=AMP,
                        help="mixed precision: bfloat16 on the CPU, float16 on CUDA")  # fmt: skip
    parser.add_argument("--compile", action=on_off, default=COMPILE,
                        help="torch.compile the model (slower start, often faster steps)")  # fmt: skip
    parser.add_argument("--tensorboard", default=None, metavar="DIR",
                        help="write TensorBoard logs (scalars, histograms) to DIR")  # fmt: skip


def option_values(args):
    """train()'s keyword arguments for the options on the command line."""
    return {"amp": args.amp, "compile_model": args.compile, "tensorboard": args.tensorboard}
