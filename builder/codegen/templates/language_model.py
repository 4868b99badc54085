"""The loop of a language model's train.py: next-token cross-entropy at every position, and a
few lines of text written from a fixed prompt after each epoch."""

import json
import math
import os
import time

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

# ---- train.py ----
# The language model's training loop. Every window of T tokens predicts its next T tokens; the
# loss is in nats per token and perplexity is its exponential. After each epoch (and before the
# first) the model continues PROMPT a few times, sampling with TEMPERATURE from a seeded
# generator, so the lines show what it has learned so far.

EVAL_BATCH = 256
DEVICE_DATA_LIMIT = 512 * 2**20  # data sets up to this size live on the device
PROMPT = "The "
SAMPLE_LINES = 3
SAMPLE_TOKENS = 160
TEMPERATURE = 0.8


@torch.no_grad()
def evaluate_tokens(model, x_val, y_val, device):
    """Validation loss in nats per token, its perplexity, and next-token accuracy."""
    model.eval()
    total, right, count = 0.0, 0, 0
    for i in range(0, len(x_val), EVAL_BATCH):
        x = x_val[i : i + EVAL_BATCH].to(device)
        y = y_val[i : i + EVAL_BATCH].to(device)
        output = model(x)
        total += compute_loss(output, y).item() * y.numel()
        right += (output.argmax(dim=-1) == y).sum().item()
        count += y.numel()
    loss = total / max(count, 1)
    return {
        "val_loss": loss,
        "val_perplexity": math.exp(min(loss, 50.0)),
        "val_accuracy": right / max(count, 1),
    }


def prompt_ids(vocab):
    """PROMPT as token ids of `vocab` (characters, or words, as the vocabulary holds)."""
    tokenizer = TEXT["tokens"]
    index = {token: i for i, token in enumerate(vocab)}
    unknown = index.get(UNKNOWN[tokenizer], 0)
    return [index.get(p, unknown) for p in split_tokens(PROMPT, tokenizer)] or [0]


@torch.no_grad()
def write_lines(model, vocab, seed, device):
    """SAMPLE_LINES continuations of PROMPT, sampled with TEMPERATURE; the same seed each time,
    so the lines of two epochs differ only by what the model learned between them."""
    modes = {m: m.training for m in model.modules()}
    model.eval()
    steps = Model.INPUT_SHAPE[0]
    start = prompt_ids(vocab)
    tokens = torch.tensor([start] * SAMPLE_LINES, device=device)
    draw = torch.Generator(device=device).manual_seed(seed)
    try:
        for _ in range(SAMPLE_TOKENS):
            logits = model(tokens[:, -steps:])[:, -1].float() / TEMPERATURE
            picked = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=draw)
            tokens = torch.cat([tokens, picked], dim=1)
    finally:
        for m, was in modes.items():
            m.training = was
    joiner = "" if TEXT["tokens"] == "chars" else " "
    return [joiner.join(vocab[i] for i in row) for row in tokens.tolist()]


def train(hooks, data, *, source=DATA, epochs=EPOCHS, seed=SEED, batch_size=BATCH_SIZE, lr=None,
          device=None, initial_weights=None):  # fmt: skip
    """Train Model to predict each next token of `data` (load_data's windows), telling `hooks`.

    Returns {"final": last metrics, "weights": the state_dict}. Besides the start, step and
    epoch events, `hooks` gets `samples` each epoch: lines the model writes (kind "text").
    """
    rank, world, device = setup_processes(device)
    lr = lr or LR
    vocab = list(data["vocab"])
    torch.manual_seed(seed)  # the same initial weights in every process
    model = Model().to(device)
    if initial_weights is not None:
        model.load_state_dict(initial_weights)
    trained = model
    if world > 1:
        ids = [device] if device.type == "cuda" else None
        trained = DistributedDataParallel(model, device_ids=ids)
    optimizer = make_optimizer(trained.parameters(), lr)
    schedule = make_schedule(optimizer, epochs)
    arrays = [data["x_train"], data["y_train"], data["x_val"], data["y_val"]]
    (x_train, y_train, x_val, y_val), whole = on_device(arrays, device)
    n = len(x_train)
    steps_per_epoch = math.ceil((n // world) / batch_size)
    shuffle = torch.Generator().manual_seed(seed)
    every = hooks.step_every
    emit = hooks.emit if rank == 0 else (lambda event, /, **fields: None)
    emit(
        "start",
        task=TASK,
        dataset=os.path.basename(str(source)),
        n_train=n,
        n_val=len(x_val),
        epochs=epochs,
        batch_size=batch_size,
        steps_per_epoch=steps_per_epoch,
        device=str(device),
        processes=world,
        params=sum(p.numel() for p in model.parameters()),
        seed=seed,
        vocab_size=len(vocab),
        vocab=vocab,
        prompt=PROMPT,
    )
    if rank == 0:
        emit("samples", epoch=0, step=0, kind="text",
             samples=np.array(write_lines(model, vocab, seed, device)))  # fmt: skip
    start = time.perf_counter()
    step, history = 0, None
    for epoch in range(1, epochs + 1):
        trained.train()
        order = shard(torch.randperm(n, generator=shuffle), rank, world)
        if whole:
            order = order.to(device)
        lr_now = optimizer.param_groups[0]["lr"]
        total, seen = torch.zeros((), dtype=torch.float64, device=device), 0
        t0 = time.perf_counter()
        for batch, i in enumerate(range(0, len(order), batch_size), start=1):
            if not hooks.checkpoint():
                break
            idx = order[i : i + batch_size]
            x, y = x_train[idx], y_train[idx]
            if not whole:
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = compute_loss(trained(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            seen += len(idx)
            total += loss.detach().double() * len(idx)
            if step % every == 0:
                value = loss.item()
                if not math.isfinite(value):
                    raise diverged(value, step, epoch, lr_now)
                emit("step", step=step, epoch=epoch, batch=batch, batches=steps_per_epoch,
                     loss=value)  # fmt: skip
        if hooks.stopped:
            break
        train_seconds = time.perf_counter() - t0
        sums = torch.stack([total, torch.tensor(float(seen), dtype=torch.float64, device=device)])
        if world > 1:  # every process saw its own share of the data
            dist.all_reduce(sums)
        total_sum, seen_all = sums.tolist()
        if not math.isfinite(total_sum):
            raise diverged(total_sum, step, epoch, lr_now)
        if schedule is not None:
            schedule.step()
        if rank != 0:
            continue
        metrics = evaluate_tokens(model, x_val, y_val, device)
        history = {
            "epoch": epoch,
            "epochs": epochs,
            "step": step,
            "train_loss": total_sum / max(seen_all, 1),
            **metrics,
            "lr": lr_now,
            "samples_per_sec": seen / max(train_seconds, 1e-9),
            "tokens_per_sec": seen * x_train.shape[1] / max(train_seconds, 1e-9),
            "seconds": time.perf_counter() - start,
        }
        emit("epoch", **history)
        emit("samples", epoch=epoch, step=step, kind="text",
             samples=np.array(write_lines(model, vocab, seed, device)))  # fmt: skip
        hooks.epoch_weights(lambda: cpu_weights(model))
    final = {"epochs": history["epoch"] if history else 0, "steps": step}
    if history:
        for key in ("train_loss", "val_loss", "val_perplexity", "val_accuracy"):
            final[key] = history[key]
    final["seconds"] = time.perf_counter() - start
    return {"final": final, "weights": cpu_weights(model), "vocab": vocab}


def save_results(result, hooks, out):
    """weights.pt, vocab.json (token id -> token) and samples.json (the last epoch's lines;
    JSON, since the lines themselves may hold line breaks)."""
    torch.save(result["weights"], os.path.join(out, "weights.pt"))
    with open(os.path.join(out, VOCAB_FILE), "w", encoding="utf-8") as handle:
        json.dump(result["vocab"], handle, ensure_ascii=False)
    if hooks.samples is not None:
        with open(os.path.join(out, "samples.json"), "w", encoding="utf-8") as handle:
            lines = [str(line) for line in hooks.samples]
            json.dump({"prompt": PROMPT, "lines": lines}, handle, ensure_ascii=False, indent=1)
