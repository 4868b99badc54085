"""The GAN loop (`training.task: "gan"`): a generator and a discriminator that learn against each other.

Each step updates the discriminator on a real batch and a generated one (BCE with logits, real
labels optionally smoothed to `1 - label_smoothing`), then the generator with the non-saturating
loss (it wants D(G(z)) called real).  Like every loop it knows nothing of the UI: it emits plain
events through a `RunControl` and obeys pause/resume/stop (see builder/control.py).

Events, besides `start`/`step`/`done`/`error`:
- `epoch`: epoch, epochs, step, d_loss, g_loss, d_real (mean D(x) as a probability), d_fake (mean
  D(G(z))), lr, samples_per_sec, seconds.
- `samples`: epoch, step, kind ("images" | "points" | "arrays"), samples: the generator's outputs
  for one FIXED noise batch (`noise_samples` of them) as a float32 numpy array [N, *sample shape].
  Epoch 0 is the untrained generator.  The `start` event carries `real`: as many real samples
  (up to 1,000 points for 2-D data), to show beside them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from builder.codegen.model_source import build_model
from builder.data import Dataset, check_dataset
from builder.data.datasets import dataset_label
from builder.design.shapes import infer_shapes
from builder.design.spec import load_design
from builder.errors import Problem
from builder.layers.registry import fmt_shape
from builder.recipes.losses import check_loss
from builder.recipes.optimizers import check_optimizer, make_optimizer, make_scheduler
from builder.training.control import LoopResult, RunControl, TrainingError, nan_error
from builder.training.supervised import (
    DEVICE_DATA_LIMIT,
    checked_inputs,
    cpu_state_dict,
    pick_device,
)

MODELS = ("generator", "discriminator")
REAL_POINTS = 1000


def optimizer_settings(settings: dict, model: str) -> dict:
    """The optimizer of one model: the design's optimizer, with its per-model override on top."""
    override = (settings.get("optimizers") or {}).get(model) or {}
    return {**settings["optimizer"], **override}


def sample_kind(shape) -> str:
    """How a page shows samples of this shape: images, 2-D points, or plain arrays."""
    shape = list(shape)
    if len(shape) == 3 and shape[0] in (1, 3, 4):
        return "images"
    if shape == [2]:
        return "points"
    return "arrays"


def gan_problems(design, dataset: Dataset | None = None, shapes: dict | None = None) -> list:
    """Every reason this GAN design cannot train on its data, each naming the node and both shapes.

    Raises GraphError when the graphs themselves are wrong (including the generator/discriminator
    contract); returns the problems between the design and `dataset` (none given: none checked).
    """
    design = load_design(design)
    if not design.is_gan:
        return [Problem('a GAN needs two models, "generator" and "discriminator"')]
    shapes = shapes if shapes is not None else infer_shapes(design)
    problems: list[Problem] = []
    settings = design.training or {}
    if settings.get("loss", "bce") != "bce":
        problems += [Problem(m) for m in check_loss("gan", settings["loss"], [1])]
    for model in MODELS:
        cfg = {**settings.get("optimizer", {}), **(settings.get("optimizers") or {}).get(model, {})}
        problems += [Problem(m) for m in check_optimizer(cfg, f"training.optimizers.{model}")]
    if dataset is None:
        return problems
    problems += check_dataset(dataset, design, shapes)
    gen = shapes["generator"]
    out_id = list(gen)[-1]
    if list(gen[out_id]) != dataset.sample_shape:
        label = dataset_label(settings.get("dataset"))
        problems.append(
            Problem(
                f"outputs {fmt_shape(gen[out_id])}, but the data set {label!r} gives samples of "
                f"shape {fmt_shape(dataset.sample_shape)}",
                out_id,
                "generator",
                design.models["generator"].node(out_id).type,
                f"make the generator end in {fmt_shape(dataset.sample_shape)}",
            )
        )
    return problems


@dataclass
class PreparedGAN:
    settings: dict
    dataset: Dataset
    generator: torch.nn.Module
    discriminator: torch.nn.Module
    noise_shape: list[int]


def prepare_gan(design, *, epochs=None, seed=None, dataset: Dataset | None = None) -> PreparedGAN:
    """Everything checked before the first step; raises GraphError or DataError, never mid-run."""
    design = load_design(design)
    if not design.is_gan:
        raise TrainingError(
            'task "gan" needs two models, "generator" and "discriminator"; this design has '
            + ", ".join(design.models)
        )
    shapes, settings, dataset = checked_inputs(
        design,
        lambda data, shapes: gan_problems(design, data, shapes),
        epochs=epochs,
        seed=seed,
        dataset=dataset,
    )
    generator = build_model(design, "generator")
    discriminator = build_model(design, "discriminator")
    noise_shape = list(shapes["generator"][next(iter(shapes["generator"]))])
    return PreparedGAN(settings, dataset, generator, discriminator, noise_shape)


def train_gan(
    design, control: RunControl, *, epochs=None, seed=None, device=None, dataset=None
) -> LoopResult:
    """Train a GAN design; see the module docstring for its events."""
    prep = prepare_gan(design, epochs=epochs, seed=seed, dataset=dataset)
    s, ds = prep.settings, prep.dataset
    epochs, seed = s["epochs"], s["seed"]
    device = pick_device(device)
    gen, disc = prep.generator.to(device), prep.discriminator.to(device)
    opt_g = make_optimizer(gen.parameters(), optimizer_settings(s, "generator"))
    opt_d = make_optimizer(disc.parameters(), optimizer_settings(s, "discriminator"))
    sched = [make_scheduler(o, s.get("schedule"), epochs) for o in (opt_g, opt_d)]

    data = np.concatenate([ds.x_train, ds.x_val])  # a GAN learns the whole distribution
    on_device = data.nbytes <= DEVICE_DATA_LIMIT
    real_all = torch.from_numpy(data).to(device if on_device else "cpu")
    n = len(real_all)
    bs = min(int(s["batch_size"]), n)
    steps_per_epoch = n // bs  # full batches only: BatchNorm needs more than one sample
    smooth = float(s.get("label_smoothing") or 0.0)
    ones = torch.full((bs, 1), 1.0, device=device)
    real_target = torch.full((bs, 1), 1.0 - smooth, device=device)
    zeros = torch.zeros((bs, 1), device=device)

    shuffle = torch.Generator().manual_seed(seed)
    noise_rng = torch.Generator(device=device).manual_seed(seed + 1)
    fixed_noise = torch.randn(
        int(s["noise_samples"]), *prep.noise_shape, generator=torch.Generator().manual_seed(seed)
    ).to(device)
    kind = sample_kind(ds.sample_shape)
    sync_each_step = device.type == "cpu"  # .item() is free on the CPU, a sync on a GPU
    every = control.step_every

    control.emit(
        "start",
        task="gan",
        dataset=ds.name,
        n_train=n,
        n_val=0,
        epochs=epochs,
        batch_size=bs,
        steps_per_epoch=steps_per_epoch,
        device=str(device),
        params=sum(p.numel() for m in (gen, disc) for p in m.parameters()),
        params_generator=sum(p.numel() for p in gen.parameters()),
        params_discriminator=sum(p.numel() for p in disc.parameters()),
        seed=seed,
        noise_shape=prep.noise_shape,
        sample_shape=ds.sample_shape,
        sample_kind=kind,
        real=data[: REAL_POINTS if kind == "points" else len(fixed_noise)].copy(),
    )
    _emit_samples(control, gen, fixed_noise, 0, 0, kind)
    start = time.perf_counter()
    step, history = 0, None
    for epoch in range(1, epochs + 1):
        gen.train()
        disc.train()
        perm = torch.randperm(n, generator=shuffle)
        if on_device:
            perm = perm.to(device)
        lr = opt_g.param_groups[0]["lr"]
        sums = torch.zeros(4, dtype=torch.float64, device=device)  # d_loss g_loss d_real d_fake
        done = 0
        t0 = time.perf_counter()
        for batch in range(1, steps_per_epoch + 1):
            if not control.checkpoint():
                break
            real = real_all[perm[(batch - 1) * bs : batch * bs]]
            if not on_device:
                real = real.to(device, non_blocking=True)
            z = torch.randn(bs, *prep.noise_shape, device=device, generator=noise_rng)
            fake = gen(z)
            # Discriminator: real -> (smoothed) 1, generated -> 0.
            d_real = disc(real)
            d_fake = disc(fake.detach())
            d_loss = F.binary_cross_entropy_with_logits(
                d_real, real_target
            ) + F.binary_cross_entropy_with_logits(d_fake, zeros)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            # Generator, non-saturating: make the discriminator call its samples real.
            g_loss = F.binary_cross_entropy_with_logits(disc(fake), ones)
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            step += 1
            done += 1
            with torch.no_grad():
                sums += torch.stack(
                    [
                        d_loss.detach(),
                        g_loss.detach(),
                        torch.sigmoid(d_real).mean(),
                        torch.sigmoid(d_fake).mean(),
                    ]
                ).double()
            if sync_each_step or step % every == 0:
                dl, gl = d_loss.item(), g_loss.item()
                for value, what in ((dl, "discriminator loss"), (gl, "generator loss")):
                    if not math.isfinite(value):
                        raise nan_error(value, step, epoch, lr, what)
                if step % every == 0:
                    control.emit(
                        "step",
                        step=step,
                        epoch=epoch,
                        batch=batch,
                        batches=steps_per_epoch,
                        d_loss=dl,
                        g_loss=gl,
                    )
        if control.stopped or done == 0:
            break
        d_loss_m, g_loss_m, d_real_m, d_fake_m = (sums / done).tolist()
        for value, what in ((d_loss_m, "discriminator loss"), (g_loss_m, "generator loss")):
            if not math.isfinite(value):
                raise nan_error(value, step, epoch, lr, what)
        seconds = time.perf_counter() - t0
        for scheduler in sched:
            if scheduler is not None:
                scheduler.step()
        history = {
            "epoch": epoch,
            "epochs": epochs,
            "step": step,
            "d_loss": d_loss_m,
            "g_loss": g_loss_m,
            "d_real": d_real_m,
            "d_fake": d_fake_m,
            "lr": lr,
            "samples_per_sec": done * bs / max(seconds, 1e-9),
            "seconds": time.perf_counter() - start,
        }
        control.emit("epoch", **history)
        _emit_samples(control, gen, fixed_noise, epoch, step, kind)
        control.epoch_weights(lambda: _weights(gen, disc))
    final = {"epochs": history["epoch"] if history else 0, "steps": step}
    if history:
        final.update({k: history[k] for k in ("d_loss", "g_loss", "d_real", "d_fake")})
    final["seconds"] = time.perf_counter() - start
    return LoopResult(final=final, weights=_weights(gen, disc))


def _weights(gen: torch.nn.Module, disc: torch.nn.Module) -> dict:
    """Both models' state_dicts on the CPU, by model name: what is saved and exported."""
    return {"generator": cpu_state_dict(gen), "discriminator": cpu_state_dict(disc)}


@torch.no_grad()
def generate(generator: torch.nn.Module, noise: torch.Tensor) -> np.ndarray:
    """The generator's outputs for `noise`, in eval mode (train/eval flags restored after)."""
    modes = {m: m.training for m in generator.modules()}
    generator.eval()
    try:
        out = generator(noise)
    finally:
        for m, was in modes.items():
            m.training = was
    return out.float().cpu().numpy()


def _emit_samples(control, gen, noise, epoch, step, kind) -> None:
    samples = generate(gen, noise)
    if not np.isfinite(samples).all():
        raise TrainingError(
            f"the generator's samples became NaN or infinite after epoch {epoch}: training "
            "diverged; lower the learning rate",
            step=step,
            epoch=epoch,
        )
    control.emit("samples", epoch=epoch, step=step, kind=kind, samples=samples)
