"""A run's trained models: its frozen design, built again, with the weights the run saved."""

from __future__ import annotations

from pathlib import Path

import torch

from builder.codegen.model_source import build_model
from builder.design.spec import load_design
from builder.errors import DesignError


def load_weights(path: str | Path) -> dict:
    """A saved state_dict (for a GAN: {"generator": ..., "discriminator": ...}); tensors only."""
    path = Path(path)
    if not path.is_file():
        raise DesignError(f"no weights at {path}")
    try:
        weights = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file must not become a traceback
        raise DesignError(f"{path.name}: cannot read the weights ({exc})") from None
    if not isinstance(weights, dict):
        raise DesignError(
            f"{path.name}: holds a {type(weights).__name__}, not a state_dict (name -> tensor)"
        )
    return weights


def trained_models(design, weights: dict | str | Path | None = None) -> dict[str, torch.nn.Module]:
    """Every model of `design`, in eval mode, with `weights` loaded when given.

    Raises DesignError when the weights do not belong to this design (e.g. it was edited
    after the run): the message names the model and the first mismatching tensor.
    """
    design = load_design(design)
    if weights is not None and not isinstance(weights, dict):
        weights = load_weights(weights)
    models = {}
    for name in design.models:
        module = build_model(design, name)
        if weights is not None:
            state = weights.get(name, weights) if design.is_gan else weights
            if not isinstance(state, dict) or not all(
                isinstance(v, torch.Tensor) for v in state.values()
            ):
                raise DesignError(f"the saved weights of model {name!r} are not a state_dict")
            try:
                module.load_state_dict(state)
            except (RuntimeError, KeyError, TypeError) as exc:
                first = str(exc).strip().splitlines()
                detail = first[1].strip() if len(first) > 1 else (first[0] if first else "")
                raise DesignError(
                    f"the saved weights do not fit model {name!r} of this design: {detail}"
                ) from None
        models[name] = module.eval()
    return models
