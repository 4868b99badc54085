"""What a supervised or language-model train.py sets up (processes, model, optimizer, schedule,
data) and its epoch of steps, where health is recorded; a GAN's loop sets up two models itself."""

import math
import time

import torch
from torch.nn.parallel import DistributedDataParallel

# ---- train.py ----
# One model's setup and epoch of steps.


class Setup:
    """What a supervised or language-model loop sets up the same way: processes, Model (wrapped
    for DDP under torchrun), optimizer, schedule, and the data as tensors (on the device when
    they fit)."""

    def __init__(self, data, *, seed, lr, epochs, batch_size, device, initial_weights,
                 amp=False, compile_model=False, health_every=0):  # fmt: skip
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
        # Health is read on the first process only (after DDP's all-reduce every process holds
        # the same gradients and weights).
        self.health = Health(self.model, health_every) if health_every and self.rank == 0 else None

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
            health = self.health if self.health and self.health.due(step + 1) else None
            if health:
                health.watch(epoch)
            with self.precision.autocast():
                try:
                    output = self.trained(x)
                finally:
                    if health:
                        health.unwatch()
                loss = compute_loss(output, y)
            if sync_each_step:  # checked before the step, so the weights that failed are kept
                value = loss.item()
                if not math.isfinite(value):
                    raise self.diverged(emit, value, step + 1, epoch, lr_now, x)
            self.optimizer.zero_grad(set_to_none=True)
            self.precision.backward(loss)
            if CLIP_GRAD_NORM or health:  # both read the true gradients, not the scaled ones
                self.precision.unscale(self.optimizer)
            if CLIP_GRAD_NORM:
                torch.nn.utils.clip_grad_norm_(self.trained.parameters(), CLIP_GRAD_NORM)
            if health:
                health.before_step()
            self.precision.step(self.optimizer)
            self.precision.update()
            step += 1
            seen += len(idx)
            if health:
                emit("health", **health.record(step, epoch))
            if not sync_each_step and step % hooks.step_every == 0:
                value = loss.item()
                if not math.isfinite(value):
                    raise self.diverged(emit, value, step, epoch, lr_now, x)
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

    def diverged(self, emit, value, step, epoch, lr, x):
        """The error of a non-finite loss, after a health record naming the first node whose
        output on the failing batch is not finite (the run ends here, so looking may draw)."""
        node = first_non_finite(self.model, x) if self.rank == 0 else None
        if node is not None:
            emit("health", step=step, epoch=epoch, non_finite=node)
        return diverged(value, step, epoch, lr, node=node)
