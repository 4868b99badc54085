"""The learning-rate finder of a supervised or language-model train.py (--find-lr)."""

import math

import torch

# ---- train.py ----
# The learning-rate finder (Leslie Smith's range test). From the initial weights the training
# would start from, the learning rate rises exponentially from FIND_LR_START to FIND_LR_END over
# FIND_LR_STEPS steps; the loss is smoothed, and the test stops once it passes 4 times its best.
# The suggestion is the middle of the longest stretch over which the smoothed loss keeps falling
# (the "valley" rule of fastai's lr_find). The weights are restored afterwards.

FIND_LR_START = 1e-7
FIND_LR_END = 10.0
FIND_LR_STEPS = 100
FIND_LR_SMOOTHING = 0.98  # weight of the running average in the smoothed loss
FIND_LR_BLOWUP = 4.0


def valley(lrs, losses):
    """The rate in the middle of the longest run of falling losses (None with no losses)."""
    if not losses:
        return None
    # falling[i]: length of the longest sequence of ever lower losses that ends at point i
    falling = [1] * len(losses)
    end = 0
    for i in range(1, len(losses)):
        for j in range(i):
            if losses[i] < losses[j] and falling[j] + 1 > falling[i]:
                falling[i] = falling[j] + 1
        if falling[i] > falling[end]:
            end = i
    start = end - falling[end] + 1
    return lrs[(start + end) // 2]


def endless_batches(run, batch_size):
    """Batches of indices of this process's share, reshuffled each time the data runs out."""
    while True:
        order = shard(torch.randperm(run.n, generator=run.shuffle), run.rank, run.world)
        order = order.to(run.x_train.device)
        for i in range(0, len(order), batch_size):
            yield order[i : i + batch_size]


def find_lr(data, *, seed=SEED, batch_size=BATCH_SIZE, device=None, initial_weights=None,
            start=FIND_LR_START, end=FIND_LR_END, steps=FIND_LR_STEPS):  # fmt: skip
    """Run the range test; returns {"suggested_lr", "lrs", "losses" (smoothed)}."""
    run = Setup(data, seed=seed, lr=start, epochs=1, batch_size=batch_size, device=device,
                initial_weights=initial_weights, health_every=0)  # fmt: skip
    model = run.model
    kept = {k: v.detach().clone() for k, v in model.state_dict().items()}
    grow = (end / start) ** (1 / max(steps - 1, 1))
    lrs, losses = [], []
    average, best = 0.0, math.inf
    run.trained.train()
    try:
        for step, idx in enumerate(endless_batches(run, batch_size), start=1):
            lr = start * grow ** (step - 1)
            for group in run.optimizer.param_groups:
                group["lr"] = lr
            x, y = run.x_train[idx].to(run.device), run.y_train[idx].to(run.device)
            loss = compute_loss(run.trained(x), y)
            run.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            run.optimizer.step()
            value = loss.item()
            if not math.isfinite(value):
                break
            average = FIND_LR_SMOOTHING * average + (1 - FIND_LR_SMOOTHING) * value
            smoothed = average / (1 - FIND_LR_SMOOTHING**step)  # without the start's bias to 0
            lrs.append(lr)
            losses.append(smoothed)
            best = min(best, smoothed)
            if smoothed > FIND_LR_BLOWUP * best or step >= steps:
                break
    finally:
        model.load_state_dict(kept)
    return {"suggested_lr": valley(lrs, losses), "lrs": lrs, "losses": losses}
