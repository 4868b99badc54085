"""The loop of a GAN's train.py: a generator and a discriminator that learn against each other."""

import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

# ---- train.py ----
# The GAN's training loop. Each step updates the discriminator on a real batch and a generated
# one (BCE with logits, real labels smoothed to 1 - LABEL_SMOOTHING), then the generator with the
# non-saturating loss (it wants D(G(z)) called real).

REAL_POINTS = 1000  # real 2-D points shown beside the generated ones
DEVICE_DATA_LIMIT = 512 * 2**20  # data sets up to this size live on the device


def sample_kind(shape):
    """How samples of this shape are shown: images, 2-D points, or plain arrays."""
    shape = list(shape)
    if len(shape) == 3 and shape[0] in (1, 3, 4):
        return "images"
    if shape == [2]:
        return "points"
    return "arrays"


@torch.no_grad()
def generate(generator, noise):
    """The generator's outputs for `noise`, in eval mode (train/eval flags restored after)."""
    modes = {m: m.training for m in generator.modules()}
    generator.eval()
    try:
        out = generator(noise)
    finally:
        for m, was in modes.items():
            m.training = was
    return out.float().cpu().numpy()


def emit_samples(emit, generator, noise, epoch, step, kind):
    samples = generate(generator, noise)
    if not np.isfinite(samples).all():
        raise TrainingError(
            f"the generator's samples became NaN or infinite after epoch {epoch}: training "
            "diverged; lower the learning rate",
            step=step,
            epoch=epoch,
        )
    emit("samples", epoch=epoch, step=step, kind=kind, samples=samples)


def gan_weights(generator, discriminator):
    return {"generator": cpu_weights(generator), "discriminator": cpu_weights(discriminator)}


def train(hooks, data, *, source=DATA, epochs=EPOCHS, seed=SEED, batch_size=BATCH_SIZE, lr=None,
          device=None, initial_weights=None, amp=AMP, compile_model=COMPILE,
          tensorboard=None):  # fmt: skip
    """Train Generator against Discriminator on `data` (load_data's arrays), telling `hooks`.

    Returns {"final": last metrics, "weights": {"generator": ..., "discriminator": ...}}.
    `hooks` is as for any train.py (see ScriptHooks); besides start, step and epoch events it
    gets `samples`: the generator's outputs for one fixed noise batch, each epoch (0: untrained).
    """
    rank, world, device = setup_processes(device)
    torch.manual_seed(seed)  # the same initial weights in every process
    generator, discriminator = Generator().to(device), Discriminator().to(device)
    if initial_weights is not None:  # start from weights brought in
        generator.load_state_dict(initial_weights["generator"])
        discriminator.load_state_dict(initial_weights["discriminator"])
    gen, disc = generator, discriminator
    if world > 1:
        ids = [device] if device.type == "cuda" else None
        gen = DistributedDataParallel(generator, device_ids=ids)
        disc = DistributedDataParallel(discriminator, device_ids=ids)
    precision = Precision(amp, device)
    gen, disc = compiled(gen, compile_model), compiled(disc, compile_model)
    opt_g, opt_d = make_optimizers(gen, disc, lr or LR_GENERATOR, lr or LR_DISCRIMINATOR)
    schedules = [s for s in make_schedules(opt_g, opt_d, epochs) if s is not None]

    real_data = np.concatenate([data["x_train"], data["x_val"]])  # it learns the whole set
    (real_all,), whole = on_device([real_data], device)
    n = len(real_all)
    bs = min(int(batch_size), n // world)
    steps_per_epoch = (n // world) // bs  # full batches only: BatchNorm needs more than one sample
    real_target = torch.full((bs, 1), 1.0 - LABEL_SMOOTHING, device=device)
    ones = torch.ones((bs, 1), device=device)
    zeros = torch.zeros((bs, 1), device=device)
    noise_shape = Generator.INPUT_SHAPE
    shuffle = torch.Generator().manual_seed(seed)
    noise_rng = torch.Generator(device=device).manual_seed(seed + 1 + rank)
    fixed_noise = torch.randn(
        NOISE_SAMPLES, *noise_shape, generator=torch.Generator().manual_seed(seed)
    ).to(device)
    kind = sample_kind(real_data.shape[1:])
    sync_each_step = device.type == "cpu"  # .item() is free on the CPU, a sync on a GPU
    every = hooks.step_every
    emit = hooks.emit if rank == 0 else (lambda event, /, **fields: None)
    board = tensorboard_log(tensorboard, rank)
    if board is not None:
        emit = board.wrap(emit)
    emit(
        "start",
        task="gan",
        dataset=os.path.basename(str(source)),
        n_train=n,
        n_val=0,
        epochs=epochs,
        batch_size=bs,
        steps_per_epoch=steps_per_epoch,
        device=str(device),
        processes=world,
        params=sum(p.numel() for m in (generator, discriminator) for p in m.parameters()),
        params_generator=sum(p.numel() for p in generator.parameters()),
        params_discriminator=sum(p.numel() for p in discriminator.parameters()),
        seed=seed,
        noise_shape=list(noise_shape),
        sample_shape=list(real_data.shape[1:]),
        sample_kind=kind,
        real=real_data[: REAL_POINTS if kind == "points" else len(fixed_noise)].copy(),
    )
    if rank == 0:
        emit_samples(emit, generator, fixed_noise, 0, 0, kind)
    start = time.perf_counter()
    step, history = 0, None
    for epoch in range(1, epochs + 1):
        gen.train()
        disc.train()
        order = shard(torch.randperm(n, generator=shuffle), rank, world)
        if whole:
            order = order.to(device)
        lr_now = opt_g.param_groups[0]["lr"]
        sums = torch.zeros(4, dtype=torch.float64, device=device)  # d_loss g_loss d_real d_fake
        done = 0
        t0 = time.perf_counter()
        for batch in range(1, steps_per_epoch + 1):
            if not hooks.checkpoint():
                break
            real = real_all[order[(batch - 1) * bs : batch * bs]]
            if not whole:
                real = real.to(device, non_blocking=True)
            z = torch.randn(bs, *noise_shape, device=device, generator=noise_rng)
            with precision.autocast():
                fake = gen(z)
                # Discriminator: real -> (smoothed) 1, generated -> 0.
                d_real = disc(real)
                d_fake = disc(fake.detach())
                d_loss = F.binary_cross_entropy_with_logits(d_real, real_target)
                d_loss = d_loss + F.binary_cross_entropy_with_logits(d_fake, zeros)
            opt_d.zero_grad(set_to_none=True)
            precision.backward(d_loss)
            precision.step(opt_d)
            # Generator, non-saturating: make the discriminator call its samples real.
            with precision.autocast():
                g_loss = F.binary_cross_entropy_with_logits(disc(fake), ones)
            opt_g.zero_grad(set_to_none=True)
            precision.backward(g_loss)
            precision.step(opt_g)
            precision.update()
            step += 1
            done += 1
            with torch.no_grad():
                parts = [d_loss, g_loss, torch.sigmoid(d_real).mean(), torch.sigmoid(d_fake).mean()]
                sums += torch.stack([p.detach() for p in parts]).double()
            if sync_each_step or step % every == 0:
                dl, gl = d_loss.item(), g_loss.item()
                for value, what in ((dl, "discriminator loss"), (gl, "generator loss")):
                    if not math.isfinite(value):
                        raise diverged(value, step, epoch, lr_now, what)
                if step % every == 0:
                    emit("step", step=step, epoch=epoch, batch=batch, batches=steps_per_epoch,
                         d_loss=dl, g_loss=gl)  # fmt: skip
        if hooks.stopped or done == 0:
            break
        seconds = time.perf_counter() - t0
        if world > 1:
            dist.all_reduce(sums)
        d_loss_m, g_loss_m, d_real_m, d_fake_m = (sums / (done * world)).tolist()
        for value, what in ((d_loss_m, "discriminator loss"), (g_loss_m, "generator loss")):
            if not math.isfinite(value):
                raise diverged(value, step, epoch, lr_now, what)
        for schedule in schedules:
            schedule.step()
        if rank != 0:
            continue
        history = {
            "epoch": epoch,
            "epochs": epochs,
            "step": step,
            "d_loss": d_loss_m,
            "g_loss": g_loss_m,
            "d_real": d_real_m,
            "d_fake": d_fake_m,
            "lr": lr_now,
            "samples_per_sec": done * bs / max(seconds, 1e-9),
            "seconds": time.perf_counter() - start,
        }
        emit("epoch", **history)
        emit_samples(emit, generator, fixed_noise, epoch, step, kind)
        if board is not None:
            board.histograms({"generator/": generator, "discriminator/": discriminator}, step)
        hooks.epoch_weights(lambda: gan_weights(generator, discriminator))
    final = {"epochs": history["epoch"] if history else 0, "steps": step}
    if history:
        final.update({k: history[k] for k in ("d_loss", "g_loss", "d_real", "d_fake")})
    final["seconds"] = time.perf_counter() - start
    if board is not None:
        board.close()
    return {"final": final, "weights": gan_weights(generator, discriminator)}


def save_results(result, hooks, out):
    """weights.pt ({"generator": ..., "discriminator": ...}) and samples.npy (the last epoch's)."""
    torch.save(result["weights"], os.path.join(out, "weights.pt"))
    if hooks.samples is not None:
        np.save(os.path.join(out, "samples.npy"), hooks.samples)
