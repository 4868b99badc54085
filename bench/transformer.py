"""The generated Transformer's training step against the same network written by hand with
nn.TransformerEncoderLayer, in one process, interleaved so machine noise hits both alike.

Prints one JSON line; the target is ratio <= 1.05 (generated time / hand-written time).
Usage: python bench/transformer.py [--rounds R] [--steps S] [--threads N] [--tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import torch
from torch import nn

import builder
from builder.design.presets import load_preset


class HandTransformer(nn.Module):
    """transformer_text as a person would write it with torch's own layers."""

    def __init__(self, vocab, dim, steps, blocks, heads, feedforward, activation, dropout):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.position = nn.Parameter(torch.randn(steps, dim) * 0.02)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(
                dim, heads, feedforward, dropout, activation, batch_first=True, norm_first=True
            )
            for _ in range(blocks)
        )
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, tokens):
        x = self.embed(tokens) + self.position[: tokens.size(1)]
        mask = nn.Transformer.generate_square_subsequent_mask(tokens.size(1))
        for block in self.blocks:
            x = block(x, src_mask=mask, is_causal=True)
        return self.head(self.norm(x))


def hand_version(design) -> nn.Module:
    nodes = {n.type: n.params for n in design.models["model"].nodes}
    block = nodes["TransformerEncoderLayer"]
    blocks = sum(n.type == "TransformerEncoderLayer" for n in design.models["model"].nodes)
    return HandTransformer(
        vocab=nodes["Embedding"]["num_embeddings"],
        dim=nodes["Embedding"]["embedding_dim"],
        steps=nodes["Input"]["shape"][0],
        blocks=blocks,
        heads=block["nhead"],
        feedforward=block["dim_feedforward"],
        activation=block["activation"],
        dropout=block["dropout"],
    )


def step_time(model: nn.Module, x, y, steps: int) -> float:
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    start = time.perf_counter()
    for _ in range(steps):
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="every part at its smallest: the script runs, its figures mean nothing",
    )
    args = parser.parse_args()
    if args.tiny:
        args.rounds, args.steps = 1, 1
    if args.threads:
        torch.set_num_threads(args.threads)
    design = load_preset("transformer_text")
    torch.manual_seed(0)
    generated, hand = builder.build_model(design), hand_version(design)
    count = sum(p.numel() for p in generated.parameters())
    assert count == sum(p.numel() for p in hand.parameters()), "not the same network"
    steps, vocab = generated.INPUT_SHAPE[0], generated.INPUT_TOKENS
    batch = int(design.training["batch_size"])
    x = torch.randint(0, vocab, (batch, steps))
    y = torch.randint(0, vocab, (batch, steps))
    step_time(generated, x, y, 2), step_time(hand, x, y, 2)  # warm up
    ours, theirs = [], []
    for round_ in range(args.rounds):  # who goes first alternates, so neither gets warmer caches
        if round_ % 2:
            theirs.append(step_time(hand, x, y, args.steps))
            ours.append(step_time(generated, x, y, args.steps))
        else:
            ours.append(step_time(generated, x, y, args.steps))
            theirs.append(step_time(hand, x, y, args.steps))
    ratio = statistics.median(o / t for o, t in zip(ours, theirs, strict=True))
    print(
        json.dumps(
            {
                "bench": "transformer_train_step_generated_vs_hand",
                "params": count,
                "batch": batch,
                "tokens_per_step": batch * steps,
                "threads": torch.get_num_threads(),
                "load_average_1min": round(os.getloadavg()[0], 2),
                "generated_ms": round(statistics.median(ours) * 1000, 2),
                "hand_ms": round(statistics.median(theirs) * 1000, 2),
                "ratio": round(ratio, 3),
                "target": 1.05,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
