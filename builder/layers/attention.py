"""Token embeddings, positional encodings, self-attention and Transformer blocks over [T, E]."""

from __future__ import annotations

from builder.errors import ShapeError
from builder.layers.registry import LayerKind, expect_rank, register
from builder.params import Param

SEQUENCE = "[T, E]"
TO_SEQUENCE = "put an Embedding (tokens [T] -> [T, E]) before it"


def _embedding_shape(inputs, p):
    (t,) = expect_rank(inputs, (1,), "tokens [T]", "set the Input to tokens of shape [T]")
    return (t, p["embedding_dim"])


register(
    LayerKind(
        type="Embedding",
        group="Attention",
        help="Looks up a learned vector for each token: tokens [T] -> [T, E]",
        params=(
            Param(
                "num_embeddings",
                "int",
                128,
                "Vocabulary size: at least the data set's number of distinct tokens (left empty, the app fills in the data's vocabulary)",
                min=2,
                max=1_000_000,
            ),
            Param("embedding_dim", "int", 64, "Size E of each token's vector", min=1, max=8192),
        ),
        shape=_embedding_shape,
        build=lambda inputs, p: [f"nn.Embedding({p['num_embeddings']}, {p['embedding_dim']})"],
        count=lambda inputs, p: p["num_embeddings"] * p["embedding_dim"],
        tokens=True,
    )
)


def _positional_shape(inputs, p):
    t, e = expect_rank(inputs, (2,), SEQUENCE, TO_SEQUENCE)
    if t > p["max_len"]:
        raise ShapeError(
            f"the sequence has {t} steps, more than max_len {p['max_len']}",
            f"raise max_len to {t} or more",
        )
    return (t, e)


register(
    LayerKind(
        type="PositionalEncoding",
        group="Attention",
        help="Adds each position's encoding to [T, E], so attention knows the order of tokens",
        params=(
            Param(
                "encoding",
                "choice",
                "sinusoidal",
                "sinusoidal: fixed sines and cosines; learned: one trained vector per position",
                choices=("sinusoidal", "learned"),
            ),
            Param("max_len", "int", 512, "The longest sequence it can encode", min=1, max=65536),
        ),
        shape=_positional_shape,
        build=lambda inputs, p: [
            f"PositionalEncoding({inputs[0][-1]}, {p['max_len']}, "
            f"learned={p['encoding'] == 'learned'})"
        ],
        count=lambda inputs, p: p["max_len"] * inputs[0][-1] * (p["encoding"] == "learned"),
        helpers=("PositionalEncoding",),
    )
)

HEADS_HELP = (
    "Attention heads; E must divide by num_heads, since each head attends over "
    "E / num_heads of the features"
)
CAUSAL_HELP = "Each step sees only itself and earlier steps (language models need this)"


def _divisors(n: int) -> str:
    return ", ".join(str(d) for d in range(1, min(n, 16) + 1) if n % d == 0)


def _heads_shape(field: str):
    def shape(inputs, p):
        t, e = expect_rank(inputs, (2,), SEQUENCE, TO_SEQUENCE)
        if e % p[field]:
            raise ShapeError(
                f"the embedding size E={e} does not divide by {field}={p[field]} "
                f"(each head takes E / {field} features)",
                f"use {field} {_divisors(e)}, or an E that divides by {p[field]}",
            )
        return (t, e)

    return shape


def _attention_count(e: int, bias: bool) -> int:
    return 4 * e * e + 4 * e * bias  # query/key/value projections and the output projection


def attention_flops(t: int, e: int) -> int:
    """Forward FLOPs of self-attention over [T, E]: the query, key, value and output projections
    (4 products of [T, E] by [E, E]: 8·T·E²) and the attention itself (scores Q·Kᵀ and their
    weighted sum of V, each 2·T²·E, over all heads together)."""
    return 8 * t * e * e + 4 * t * t * e


register(
    LayerKind(
        type="MultiheadAttention",
        group="Attention",
        help="Self-attention (nn.MultiheadAttention): each step mixes in the steps it attends to",
        params=(
            Param("num_heads", "int", 4, HEADS_HELP, min=1, max=64),
            Param(
                "dropout",
                "float",
                0.0,
                "Dropout on attention weights",
                min=0,
                max=1,
                max_exclusive=True,
            ),
            Param("causal", "bool", False, CAUSAL_HELP),
            Param("bias", "bool", True, "Learn biases in the projections"),
        ),
        shape=_heads_shape("num_heads"),
        build=lambda inputs, p: [
            f"SelfAttention({inputs[0][-1]}, {p['num_heads']}, dropout={p['dropout']!r}, "
            f"bias={p['bias']}, causal={p['causal']})"
        ],
        count=lambda inputs, p: _attention_count(inputs[0][-1], p["bias"]),
        flops=lambda inputs, p: attention_flops(*inputs[0]),
        activation=True,
        helpers=("causal_mask", "SelfAttention"),
    )
)


def _block_count(inputs, p):
    e, f = inputs[0][-1], p["dim_feedforward"]
    feedforward = e * f + f + f * e + e
    return _attention_count(e, True) + feedforward + 4 * e  # two LayerNorms


register(
    LayerKind(
        type="TransformerEncoderLayer",
        group="Attention",
        help="A Transformer block (nn.TransformerEncoderLayer): self-attention, then a "
        "feed-forward network, each with a residual connection and LayerNorm",
        params=(
            Param("nhead", "int", 4, HEADS_HELP.replace("num_heads", "nhead"), min=1, max=64),
            Param(
                "dim_feedforward",
                "int",
                256,
                "Width of the feed-forward network",
                min=1,
                max=65536,
            ),
            Param(
                "dropout",
                "float",
                0.1,
                "Dropout inside the block",
                min=0,
                max=1,
                max_exclusive=True,
            ),
            Param(
                "activation",
                "choice",
                "relu",
                "The feed-forward network's activation",
                choices=("relu", "gelu"),
            ),
            Param("norm_first", "bool", False, "LayerNorm before attention (pre-norm: steadier)"),
            Param("causal", "bool", False, CAUSAL_HELP),
        ),
        shape=_heads_shape("nhead"),
        build=lambda inputs, p: [
            f"TransformerBlock({inputs[0][-1]}, {p['nhead']}, "
            f"dim_feedforward={p['dim_feedforward']}, dropout={p['dropout']!r}, "
            f"activation={p['activation']!r}, norm_first={p['norm_first']}, "
            f"causal={p['causal']})"
        ],
        count=_block_count,
        # Self-attention, then the feed-forward network's two products [T, E]·[E, F]·[F, E].
        flops=lambda inputs, p: (
            attention_flops(*inputs[0]) + 4 * inputs[0][0] * inputs[0][1] * p["dim_feedforward"]
        ),
        helpers=("causal_mask", "TransformerBlock"),
    )
)
