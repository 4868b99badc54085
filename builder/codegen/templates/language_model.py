"""The loop of a language model's train.py: next-token cross-entropy at every position, and a
few lines of text written from a fixed prompt after each epoch."""

import json
import math
import os
import time

import numpy as np
import torch

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
          device=None, initial_weights=None, amp=AMP, compile_model=COMPILE,
          tensorboard=None):  # fmt: skip
    """Train Model to predict each next token of `data` (load_data's windows), telling `hooks`.

    Returns {"final": last metrics, "weights": the state_dict}. Besides the start, step and
    epoch events, `hooks` gets `samples` each epoch: lines the model writes (kind "text").
    """
    vocab = list(data["vocab"])
    run = Setup(data, seed=seed, lr=lr, epochs=epochs, batch_size=batch_size, device=device,
                initial_weights=initial_weights, amp=amp, compile_model=compile_model)  # fmt: skip
    model, device = run.model, run.device
    emit = hooks.emit if run.rank == 0 else (lambda event, /, **fields: None)
    board = tensorboard_log(tensorboard, run.rank)
    if board is not None:
        emit = board.wrap(emit)
    emit("start", **run.start_fields(source, epochs, seed), vocab_size=len(vocab), vocab=vocab,
         prompt=PROMPT)  # fmt: skip
    if run.rank == 0:
        emit("samples", epoch=0, step=0, kind="text",
             samples=np.array(write_lines(model, vocab, seed, device)))  # fmt: skip
    start = time.perf_counter()
    step, history = 0, None
    for epoch in range(1, epochs + 1):
        step, totals = run.epoch(hooks, emit, step, epoch)
        if totals is None:
            break
        total_sum, seen_all, train_seconds, lr_now = totals
        if run.rank != 0:
            continue
        metrics = evaluate_tokens(model, run.x_val, run.y_val, device)
        history = {
            "epoch": epoch,
            "epochs": epochs,
            "step": step,
            "train_loss": total_sum / max(seen_all, 1),
            **metrics,
            "lr": lr_now,
            "samples_per_sec": seen_all / max(train_seconds, 1e-9),
            "tokens_per_sec": seen_all * run.x_train.shape[1] / max(train_seconds, 1e-9),
            "seconds": time.perf_counter() - start,
        }
        emit("epoch", **history)
        emit("samples", epoch=epoch, step=step, kind="text",
             samples=np.array(write_lines(model, vocab, seed, device)))  # fmt: skip
        if board is not None:
            board.histograms({"": model}, step)
        hooks.epoch_weights(lambda: cpu_weights(model))
    final = {"epochs": history["epoch"] if history else 0, "steps": step}
    if history:
        for key in ("train_loss", "val_loss", "val_perplexity", "val_accuracy"):
            final[key] = history[key]
    final["seconds"] = time.perf_counter() - start
    if board is not None:
        board.close()
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
