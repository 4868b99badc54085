"""What every train.py shares: errors, processes (one, or several under torchrun), hooks, main."""

import argparse
import gc
import json
import math
import os
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

# ---- train.py ----
# What every training shares.


class TrainingError(Exception):
    """A run that cannot go on; the message says why and what to change."""

    def __init__(self, message, step=None, epoch=None):
        super().__init__(message)
        self.step = step
        self.epoch = epoch


def diverged(value, step, epoch, lr, what="loss"):
    """The error for a non-finite loss, naming the step and suggesting a lower learning rate."""
    kind = "NaN" if math.isnan(value) else "infinite"
    hint = (
        f"lower the learning rate (now {lr:g}; try {lr / 10:g})"
        if lr
        else "lower the learning rate"
    )
    return TrainingError(
        f"the {what} became {kind} at step {step} (epoch {epoch}): training diverged; {hint}",
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


class Setup:
    """What a supervised or language-model loop sets up the same way: processes, Model (wrapped
    for DDP under torchrun), optimizer, schedule, and the data as tensors (on the device when
    they fit)."""

    def __init__(self, data, *, seed, lr, epochs, batch_size, device, initial_weights, amp=False,
                 compile_model=False):  # fmt: skip
        self.rank, self.world, self.device = setup_processes(device)
        self.precision = Precision(amp, self.device)
        torch.manual_seed(seed)  # the same initial weights in every process
        self.model = Model().to(self.device)
        if initial_weights is not None:  # start from weights brought in (an imported model's)
            self.model.load_state_dict(initial_weights)
        self.trained = self.model
        if self.world > 1:
            ids = [self.device] if self.device.type == "cuda" else None
            self.trained = DistributedDataParallel(self.model, device_ids=ids)
        self.trained = compiled(self.trained, compile_model)
        self.optimizer = make_optimizer(self.trained.parameters(), lr or LR)
        self.schedule = make_schedule(self.optimizer, epochs)
        arrays = [data["x_train"], data["y_train"], data["x_val"], data["y_val"]]
        (self.x_train, self.y_train, self.x_val, self.y_val), self.whole = on_device(
            arrays, self.device
        )
        self.n = len(self.x_train)
        self.batch_size = batch_size
        self.steps_per_epoch = math.ceil((self.n // self.world) / batch_size)
        self.shuffle = torch.Generator().manual_seed(seed)

    def start_fields(self, source, epochs, seed):
        """The fields of the start event that every loop sends."""
        return {
            "task": TASK,
            "dataset": os.path.basename(str(source)),
            "n_train": self.n,
            "n_val": len(self.x_val),
            "epochs": epochs,
            "batch_size": self.batch_size,
            "steps_per_epoch": self.steps_per_epoch,
            "device": str(self.device),
            "processes": self.world,
            "params": sum(p.numel() for p in self.model.parameters()),
            "seed": seed,
        }

    def epoch(self, hooks, emit, step, epoch):
        """One pass over this process's share of a shuffled epoch. Returns (step, totals):
        totals are (summed loss, samples seen, seconds, lr) over every process, or None when
        the run was stopped during the epoch."""
        self.trained.train()
        order = shard(torch.randperm(self.n, generator=self.shuffle), self.rank, self.world)
        if self.whole:
            order = order.to(self.device)
        lr_now = self.optimizer.param_groups[0]["lr"]
        sync_each_step = self.device.type == "cpu"  # .item() is free on the CPU, a sync on a GPU
        total, total_t, seen = 0.0, None, 0
        t0 = time.perf_counter()
        for batch, i in enumerate(range(0, len(order), self.batch_size), start=1):
            if not hooks.checkpoint():
                break
            idx = order[i : i + self.batch_size]
            x, y = self.x_train[idx], self.y_train[idx]
            if not self.whole:
                x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            with self.precision.autocast():
                loss = compute_loss(self.trained(x), y)
            self.optimizer.zero_grad(set_to_none=True)
            self.precision.backward(loss)
            self.precision.step(self.optimizer)
            self.precision.update()
            step += 1
            seen += len(idx)
            if sync_each_step or step % hooks.step_every == 0:
                value = loss.item()
                if not math.isfinite(value):
                    raise diverged(value, step, epoch, lr_now)
            if sync_each_step:
                total += value * len(idx)
            else:
                part = loss.detach() * len(idx)
                total_t = part if total_t is None else total_t + part
            if step % hooks.step_every == 0:
                emit("step", step=step, epoch=epoch, batch=batch,
                     batches=self.steps_per_epoch, loss=value)  # fmt: skip
        if hooks.stopped:
            return step, None
        seconds = time.perf_counter() - t0
        if total_t is not None:
            total = total_t.item()
        if self.world > 1:  # every process saw its own share of the data
            sums = torch.tensor([total, seen], dtype=torch.float64, device=self.device)
            dist.all_reduce(sums)
            total, seen = sums.tolist()
        if not math.isfinite(total):
            raise diverged(total, step, epoch, lr_now)
        if self.schedule is not None:
            self.schedule.step()
        return step, (total, seen, seconds, lr_now)


class ScriptHooks:
    """What this script does as it trains: prints each epoch and writes OUT/metrics.jsonl.

    The app calls train() with hooks of its own instead (events to the page, pause and stop,
    weight snapshots); the training itself is this file, unchanged."""

    step_every = 1000
    stopped = False

    def __init__(self, out=None):
        self.samples = None
        self.log = None
        if out is not None:
            os.makedirs(out, exist_ok=True)
            self.log = open(os.path.join(out, "metrics.jsonl"), "w")
        # What this script does with each kind of event; the other kinds pass by.
        self.handlers = {"start": self.on_start, "epoch": self.on_epoch, "samples": self.on_samples}

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

    def close(self):
        if self.log is not None:
            self.log.close()


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
    args = parser.parse_args()
    # A new folder by default, so a run never overwrites the weights.pt shipped beside this file.
    args.out = args.out or os.path.join("runs", time.strftime("%Y%m%d-%H%M%S"))

    try:
        rank, _, device = setup_processes(args.device)
        hooks = ScriptHooks(args.out if rank == 0 else None)
        try:
            data = load_data(args.data, args.seed)
            start = None
            if args.weights:
                start = torch.load(args.weights, map_location=device, weights_only=True)
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
            )
        finally:
            hooks.close()
    except (DataError, TrainingError) as exc:
        raise SystemExit(f"error: {exc}") from None
    if rank == 0:
        save_results(result, hooks, args.out)
    finish_processes()
