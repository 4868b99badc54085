"""GAN benchmark: sample quality of the MLP GAN preset on digits, and step time against a hand loop.

Prints JSON lines:
- `classifier`: a small CNN trained here on digits in [-1, 1] (the judge), with its validation
  accuracy and what it says about pure noise (so the quality numbers have a floor to read against).
- `quality`: the preset trained for its epochs (60); the judge's mean max-softmax and the number of
  classes it sees among the fixed noise batch, and among 1,000 fresh samples.
- `step_time`: the GAN loop's time per step against a hand-written loop (the PyTorch DCGAN
  tutorial's loop) on the same generated models, epochs interleaved, in this process.

    python bench/gan.py [--preset mlp_gan_digits] [--epochs 60] [--rounds 6] [--threads 1] [--tiny]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from builder.codegen.model_source import build_model
from builder.data.sources import digits_data, stratified_split
from builder.design.presets import load_preset
from builder.recipes.optimizers import model_optimizer, optimizer_recipe
from builder.training.checks import checked_inputs
from builder.training.control import RunControl
from builder.training.runner import run_loop


def emit(kind: str, **fields) -> None:
    print(json.dumps({"bench": "gan", "kind": kind, **fields}), flush=True)


def judge_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(256, 10),
    )


def shuffled_pixels(images: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Each image's pixels in a random order: digit statistics, no digit."""
    flat = images.reshape(len(images), -1)
    order = torch.rand(flat.shape, generator=rng).argsort(dim=1)
    return flat.gather(1, order).view_as(images)


def train_judge(epochs: int = 40, seed: int = 0) -> nn.Module:
    """A digits classifier on images in [-1, 1], the GAN's scale.

    Trained with outlier exposure (Hendrycks et al., 2019): on pixel-shuffled digits and uniform
    noise it is taught to answer "no idea" (a uniform distribution), so a high max-softmax on
    generated samples means they look like digits, not merely that softmax is overconfident.
    """
    x, y, _ = digits_data(gan=True)
    train, val = stratified_split(y, seed)
    torch.manual_seed(seed)
    net = judge_net()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-4)
    xt, yt = torch.from_numpy(x[train]), torch.from_numpy(y[train])
    xv, yv = torch.from_numpy(x[val]), torch.from_numpy(y[val])
    rng = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(xt), generator=rng)
        for i in range(0, len(xt), 64):
            idx = perm[i : i + 64]
            # One-pixel shifts, so the judge is not fooled by tiny artefacts.
            shift = tuple(torch.randint(-1, 2, (2,), generator=rng).tolist())
            xb = torch.roll(xt[idx], shifts=shift, dims=(2, 3))
            outliers = torch.cat(
                [
                    shuffled_pixels(xt[idx], rng),
                    torch.rand(len(idx) // 2, 1, 8, 8, generator=rng) * 2 - 1,
                ]
            )
            uniform = -F.log_softmax(net(outliers), 1).mean(1).mean()
            loss = F.cross_entropy(net(xb), yt[idx]) + 0.5 * uniform
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        acc = (net(xv).argmax(1) == yv).float().mean().item()
        noise = torch.rand(1000, 1, 8, 8, generator=rng) * 2 - 1
        emit(
            "classifier",
            kind_of_model="CNN, outlier exposure",
            val_accuracy=round(acc, 4),
            val_mean_max_softmax=round(_confidence(net, xv), 4),
            uniform_noise_mean_max_softmax=round(_confidence(net, noise), 4),
            shuffled_digits_mean_max_softmax=round(_confidence(net, shuffled_pixels(xv, rng)), 4),
        )
    return net


def _confidence(net, images) -> float:
    return torch.softmax(net(images), 1).max(1).values.mean().item()


@torch.no_grad()
def judge(net: nn.Module, samples) -> dict:
    probs = torch.softmax(net(torch.as_tensor(samples, dtype=torch.float32)), 1)
    conf, cls = probs.max(1)
    counts = torch.bincount(cls, minlength=10).tolist()
    return {
        "mean_max_softmax": round(conf.mean().item(), 4),
        "classes_covered": int(sum(c > 0 for c in counts)),
        "class_counts": counts,
    }


def quality(design, net, epochs) -> None:
    events: list[dict] = []
    control = RunControl([events.append])
    start = time.perf_counter()
    result = run_loop(None, design, control, epochs=epochs)
    seconds = time.perf_counter() - start
    errors = [e for e in events if e["type"] == "error"]
    if errors or result is None:
        emit("quality", error=errors[0]["message"] if errors else "no result")
        return
    samples = [e for e in events if e["type"] == "samples"]
    last = [e for e in events if e["type"] == "epoch"][-1]
    gen = build_model(design, "generator")
    gen.load_state_dict(result.weights["generator"])
    gen.eval()
    noise = torch.randn(1000, *gen.INPUT_SHAPE, generator=torch.Generator().manual_seed(1234))
    with torch.no_grad():
        fresh = gen(noise)
    emit(
        "quality",
        preset=design.name,
        epochs=last["epoch"],
        seconds=round(seconds, 1),
        final={k: round(last[k], 4) for k in ("d_loss", "g_loss", "d_real", "d_fake")},
        untrained_fixed_noise=judge(net, samples[0]["samples"]),
        fixed_noise=judge(net, samples[-1]["samples"]),
        fresh_1000=judge(net, fresh),
    )


def points_quality(design, epochs) -> None:
    """2-D data: how many samples land on the data (precision) and how much of it they cover."""
    events: list[dict] = []
    start = time.perf_counter()
    result = run_loop(None, design, RunControl([events.append]), epochs=epochs)
    seconds = time.perf_counter() - start
    if result is None:
        emit("points_quality", error=[e for e in events if e["type"] == "error"][0]["message"])
        return
    _, dataset = checked_inputs(design, epochs=1)
    real = torch.from_numpy(np.concatenate([dataset.x_train, dataset.x_val]))
    labels = np.concatenate([dataset.y_train, dataset.y_val])
    gen = build_model(design, "generator")
    gen.load_state_dict(result.weights["generator"])
    gen.eval()
    noise = torch.randn(2000, *gen.INPUT_SHAPE, generator=torch.Generator().manual_seed(1234))
    with torch.no_grad():
        fake = gen(noise)
    dist = torch.cdist(fake, real)  # [fake, real]
    radius = 0.15
    nearest = dist.min(1)
    share = np.bincount(labels[nearest.indices.numpy()], minlength=int(labels.max()) + 1)
    last = [e for e in events if e["type"] == "epoch"][-1]
    emit(
        "points_quality",
        preset=design.name,
        epochs=last["epoch"],
        seconds=round(seconds, 1),
        final={k: round(last[k], 4) for k in ("d_loss", "g_loss", "d_real", "d_fake")},
        radius=radius,
        precision=round((nearest.values < radius).float().mean().item(), 4),
        recall=round((dist.min(0).values < radius).float().mean().item(), 4),
        share_per_class=(share / share.sum()).round(3).tolist(),
    )


def hand_epoch(gen, disc, opt_g, opt_d, data, bs, smooth, rng, noise_dim) -> tuple[float, float]:
    """One epoch of the PyTorch DCGAN tutorial's loop; (wall, CPU) seconds per step."""
    criterion = nn.BCEWithLogitsLoss()
    n = len(data)
    perm = torch.randperm(n, generator=rng)
    steps = n // bs
    log = []
    t0, c0 = time.perf_counter(), time.thread_time()
    for b in range(steps):
        real = data[perm[b * bs : (b + 1) * bs]]
        disc.zero_grad()
        out = disc(real)
        err_real = criterion(out, torch.full((bs, 1), 1.0 - smooth))
        noise = torch.randn(bs, noise_dim)
        fake = gen(noise)
        out_fake = disc(fake.detach())
        err_fake = criterion(out_fake, torch.zeros(bs, 1))
        err_d = err_real + err_fake
        err_d.backward()
        opt_d.step()
        gen.zero_grad()
        err_g = criterion(disc(fake), torch.ones(bs, 1))
        err_g.backward()
        opt_g.step()
        log.append((err_d.item(), err_g.item(), torch.sigmoid(out).mean().item()))
    return (time.perf_counter() - t0) / steps, (time.thread_time() - c0) / steps


class EpochClock:
    """A sink timing each epoch's steps in the GAN loop: from the samples event that precedes
    the epoch (emitted just before its first step) to the epoch event (just after its last)."""

    def __init__(self):
        self.mark = None
        self.times: list[tuple[float, float]] = []  # (wall, CPU) seconds per step
        self.steps_per_epoch = 1

    def __call__(self, event: dict) -> None:
        now = (time.perf_counter(), time.thread_time())
        if event["type"] == "start":
            self.steps_per_epoch = event["steps_per_epoch"]
        elif event["type"] == "samples":
            self.mark = now
        elif event["type"] == "epoch" and self.mark is not None and event["epoch"] > 1:
            # The first epoch of a run also pays for first-step allocations and optimizer
            # state; the hand loop's models stay warm between its epochs, so compare warm epochs.
            n = self.steps_per_epoch
            self.times.append(((now[0] - self.mark[0]) / n, (now[1] - self.mark[1]) / n))


def step_time(design, rounds: int, epochs_per_round: int = 3) -> None:
    """Epochs of both loops interleaved in this process (one thread, so CPU time is the work)."""
    s, dataset = checked_inputs(design, epochs=epochs_per_round)
    data = torch.from_numpy(np.concatenate([dataset.x_train, dataset.x_val]))
    bs = min(s["batch_size"], len(data))
    torch.manual_seed(0)
    gen, disc = build_model(design, "generator"), build_model(design, "discriminator")
    gen.train()
    disc.train()
    cfg_g, cfg_d = model_optimizer(s, "generator"), model_optimizer(s, "discriminator")
    opt_g = optimizer_recipe(cfg_g).build(gen.parameters(), cfg_g)
    opt_d = optimizer_recipe(cfg_d).build(disc.parameters(), cfg_d)
    rng = torch.Generator().manual_seed(0)
    smooth, noise_dim = s["label_smoothing"], gen.INPUT_SHAPE[0]
    hand, clock = [], EpochClock()
    for _ in range(rounds):
        for _ in range(epochs_per_round):
            hand.append(hand_epoch(gen, disc, opt_g, opt_d, data, bs, smooth, rng, noise_dim))
        run_loop(None, design, RunControl([clock]), epochs=epochs_per_round + 1)
    ours = clock.times
    fields = {}
    for i, name in ((0, "wall"), (1, "cpu")):
        o = statistics.median(t[i] for t in ours) * 1e3
        h = statistics.median(t[i] for t in hand) * 1e3
        fields[name] = {
            "ours_ms": round(o, 3),
            "hand_ms": round(h, 3),
            "ratio": round(o / h, 3),
            "ours_min_ms": round(min(t[i] for t in ours) * 1e3, 3),
            "hand_min_ms": round(min(t[i] for t in hand) * 1e3, 3),
        }
    emit(
        "step_time",
        preset=design.name,
        threads=torch.get_num_threads(),
        steps_per_epoch=len(data) // bs,
        epochs_each=len(ours),
        statistic="median over epochs",
        **fields,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="mlp_gan_digits")
    parser.add_argument("--epochs", type=int, default=None, help="default: the preset's (60)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="every part at its smallest: the script runs, its figures mean nothing",
    )
    args = parser.parse_args()
    if args.tiny:
        args.epochs, args.rounds = 1, 1
    torch.set_num_threads(args.threads)
    design = load_preset(args.preset)
    if args.skip_quality:
        pass
    elif design.training.get("dataset") == "digits":
        quality(design, train_judge(epochs=1 if args.tiny else 40), args.epochs)
    else:
        points_quality(design, args.epochs)
    step_time(design, args.rounds, epochs_per_round=1 if args.tiny else 3)


if __name__ == "__main__":
    main()
