"""The attention weights, per head, of every attention node of a trained model.

The generated model asks nn.MultiheadAttention for no weights (it is faster), so each attention
module's call is recorded by a hook and asked again, with the same query, key, value and masks,
for its per-head weights. Grad mode stays on so that PyTorch's fused inference path (which skips
the module call) is not taken.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

ATTENTION_KINDS = ("MultiheadAttention", "TransformerEncoderLayer")


def attention_nodes(design, model_name: str = "model") -> list[str]:
    """Ids of the model's attention nodes, in the order the design lists them."""
    graph = design.models[model_name]
    return [n.id for n in graph.nodes if n.type in ATTENTION_KINDS]


def _attention_module(model: nn.Module, node_id: str) -> nn.MultiheadAttention:
    owner = model.get_submodule(model.NODE_LAYERS[node_id])
    for module in owner.modules():
        if isinstance(module, nn.MultiheadAttention):
            return module
    raise ValueError(f"node {node_id!r} holds no nn.MultiheadAttention")


def _causal(steps: int, like: torch.Tensor) -> torch.Tensor:
    return torch.full((steps, steps), float("-inf"), dtype=like.dtype).triu(1)


def attention_maps(model: nn.Module, x: torch.Tensor, node_ids: list[str]) -> dict[str, np.ndarray]:
    """node id -> attention weights [heads, T, T] of the first sample of `x` (rows sum to 1)."""
    calls: dict[str, tuple] = {}
    handles = []
    for node_id in node_ids:
        module = _attention_module(model, node_id)

        def record(mod, args, kwargs, node_id=node_id):
            calls[node_id] = (mod, args, dict(kwargs))

        handles.append(module.register_forward_pre_hook(record, with_kwargs=True))
    try:
        with torch.enable_grad():
            model(x)
        maps = {}
        with torch.no_grad():
            for node_id in node_ids:
                module, args, kwargs = calls[node_id]
                query, key, value = (
                    list(args) + [kwargs.get(k) for k in ("query", "key", "value")]
                )[:3]
                mask = kwargs.get("attn_mask")
                if mask is None and kwargs.get("is_causal"):
                    mask = _causal(query.shape[1], query)
                _, weights = module(
                    query,
                    key,
                    value,
                    key_padding_mask=kwargs.get("key_padding_mask"),
                    attn_mask=mask,
                    need_weights=True,
                    average_attn_weights=False,
                )
                maps[node_id] = weights[0].detach().cpu().numpy()
    finally:
        for handle in handles:
            handle.remove()
    return maps
