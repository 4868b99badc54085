"""What every train.py shares: errors, processes (one, or several under torchrun), hooks, main."""

import argparse
import gc
import json
import math
import os

import torch
import torch.distributed as dist

# ---- train.py ----
# What every training shares.


class TrainingError(Exception):
    """A run that cannot go on; the message says why and what to change."""

    def __init__(self, message, step=None, epoch=None):
        super().__init__(message)
        self.step = step
        self.epoch = epoch


def diverged(value, step, epoch, lr, what="loss", node=None):
    """The error for a non-finite loss, naming the step, the node whose output went non-finite
    first (when known) and suggesting a lower learning rate."""
    kind = "NaN" if math.isnan(value) else "infinite"
    hint = (
        f"lower the learning rate (now {lr:g}; try {lr / 10:g})"
        if lr
        else "lower the learning rate"
    )
    where = f"; the output of node {node!r} went non-finite first" if node else ""
    return TrainingError(
        f"the {what} became {kind} at step {step} (epoch {epoch}){where}: training diverged; "
        f"{hint}",
        step=step,
        epoch=epoch,
    )


def setup_processes(device=None):
    """(rank, world size, device): one process, or one of several under torchrun."""
    local_processes = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    if device is None:
        # One GPU per process on this machine, else every process on the CPU.
        use_cuda = torch.cuda.is_available() and torch.cuda.device_count() >= local_processes
        local = int(os.environ.get("LOCAL_RANK", "0"))
        device = torch.device("cuda", local) if use_cuda else torch.device("cpu")
    else:
        try:
            device = torch.device(device)
        except (RuntimeError, TypeError):
            raise TrainingError(f"unknown device {device!r}; use cpu or cuda") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise TrainingError("CUDA is not available on this machine; use the cpu device")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0, 1, device
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size(), device


def finish_processes():
    """End a torchrun process cleanly: every rank waits for the others (rank 0 saves last),
    then the DDP wrappers are freed before the process group closes; a rank that exits while
    another still talks to it is aborted by the communication library."""
    if dist.is_initialized():
        dist.barrier()
        gc.collect()
        dist.destroy_process_group()


def shard(indices, rank, world):
    """This process's equal share of a shuffled epoch (all of it in a single process)."""
    per_process = len(indices) // world
    return indices[rank::world][:per_process]


def on_device(arrays, device):
    """Tensors from numpy arrays, on `device` when they all fit in DEVICE_DATA_LIMIT bytes."""
    fits = sum(a.nbytes for a in arrays) <= DEVICE_DATA_LIMIT
    where = device if fits else torch.device("cpu")
    return [torch.from_numpy(a).to(where) for a in arrays], fits


def cpu_weights(model):
    """The model's state_dict on the CPU, detached: what is saved and exported."""
    return {k: v.detach().cpu() for k, v in model.state_dict().items()}


class ScriptHooks:
    """What this script does as it trains: prints each epoch and writes OUT/metrics.jsonl.

    The app calls train() with hooks of its own instead (events to the page, pause and stop,
    weight snapshots); the training itself is this file, unchanged."""

    step_every = 1000
    stopped = False

    def __init__(self, out=None, health=True):
        self.samples = None
        self.log = None
        self.health_log = None
        if out is not None:
            os.makedirs(out, exist_ok=True)
            self.log = open(os.path.join(out, "metrics.jsonl"), "w")
            if health:
                self.health_log = open(os.path.join(out, "health.jsonl"), "w")
        # What this script does with each kind of event; the other kinds pass by.
        self.handlers = {"start": self.on_start, "epoch": self.on_epoch, "samples": self.on_samples,
                         "health": self.on_health}  # fmt: skip

    def checkpoint(self):
        return True  # a script is never paused

    def epoch_weights(self, weights):
        pass  # saved once, at the end

    def emit(self, event, /, **fields):
        if event not in EVENT_KINDS:
            known = ", ".join(EVENT_KINDS)
            raise TrainingError(f"unknown event kind {event!r} (known: {known})")
        handler = self.handlers.get(event)
        if handler is not None and self.log is not None:
            handler(fields)

    def on_start(self, fields):
        shown = f"{fields['n_train']} samples, {fields['processes']} process(es)"
        print(f"training on {shown}, {fields['device']}", flush=True)

    def on_epoch(self, fields):
        row = {}
        for key, value in fields.items():
            if isinstance(value, float) and not math.isfinite(value):
                value = None  # JSON has no NaN or Infinity
            if value is None or isinstance(value, int | float | str | bool):
                row[key] = value
        line = json.dumps(row)
        self.log.write(line + "\n")
        self.log.flush()
        print(line, flush=True)

    def on_samples(self, fields):
        self.samples = fields["samples"]
        if fields.get("kind") == "text":  # a language model's lines, shown as they come
            print(f"samples after epoch {fields['epoch']}:", flush=True)
            for line in fields["samples"]:
                print("  " + repr(str(line)), flush=True)

    def on_health(self, fields):
        if self.health_log is None:
            return
        self.health_log.write(json.dumps(fields) + "\n")
        if "non_finite" in fields:  # the run ends on this one
            self.health_log.flush()

    def close(self):
        for handle in (self.log, self.health_log):
            if handle is not None:
                handle.close()


def load_data(source, seed):
    """The arrays to train on: the design's data set, or another file (--data PATH)."""
    kind = DATA_KIND if source == DATA else None
    return load_arrays(source, TASK, seed, INPUT_SHAPE, TARGET, kind, text=TEXT)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default: design's)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="per process")
    parser.add_argument("--data", default=DATA, help="data set (default: the design's)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--out", default=None, help="folder for what the training writes (default: runs/<time>)"
    )
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if there)")
    parser.add_argument("--weights", default=None, help="a state_dict to start from")
    add_option_arguments(parser)
    if RECORDS_HEALTH:
        parser.add_argument("--no-health", action="store_true",
                            help="record no health statistics (OUT/health.jsonl)")  # fmt: skip
        parser.add_argument("--find-lr", action="store_true",
                            help="only run the learning-rate finder; prints one JSON line")  # fmt: skip
    args = parser.parse_args()
    # A new folder by default, so a run never overwrites the weights.pt shipped beside this file.
    args.out = args.out or os.path.join("runs", time.strftime("%Y%m%d-%H%M%S"))
    options = {}
    if RECORDS_HEALTH:
        options["health_every"] = 0 if args.no_health else HEALTH_EVERY

    try:
        rank, _, device = setup_processes(args.device)
        hooks = ScriptHooks(
            args.out if rank == 0 else None, health=bool(options.get("health_every"))
        )
        try:
            data = load_data(args.data, args.seed)
            start = None
            if args.weights:
                start = torch.load(args.weights, map_location=device, weights_only=True)
            if RECORDS_HEALTH and args.find_lr:
                found = find_lr(data, seed=args.seed, batch_size=args.batch_size, device=device,
                                initial_weights=start)  # fmt: skip
                if rank == 0:
                    print(json.dumps(found), flush=True)
                finish_processes()
                return
            result = train(
                hooks,
                data,
                source=args.data,
                epochs=args.epochs,
                seed=args.seed,
                batch_size=args.batch_size,
                lr=args.lr,
                device=device,
                initial_weights=start,
                **option_values(args),
                **options,
            )
        finally:
            hooks.close()
    except (DataError, TrainingError) as exc:
        raise SystemExit(f"error: {exc}") from None
    if rank == 0:
        save_results(result, hooks, args.out)
    finish_processes()
