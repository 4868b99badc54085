"""A model class from a person's own .py file: their code, run in their own process (the CLI)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch

from builder.importers.graph import ImportRefused


def load_class(spec: str):
    """'path/to/file.py:ClassName' -> the class, its file imported as a module."""
    path_text, _, class_name = spec.rpartition(":")
    path = Path(path_text)
    if not path_text or not class_name or path.suffix != ".py":
        raise ImportRefused([f"{spec!r}: expected FILE.py:CLASS, e.g. models.py:LeNet"])
    if not path.is_file():
        raise ImportRefused([f"{path}: no such file"])
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # so the file's own imports of its neighbours work
    try:
        module_spec = importlib.util.spec_from_file_location(f"imported_{path.stem}", path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    except Exception as exc:  # the person's code: any failure is reported, not raised through
        raise ImportRefused(
            [f"{path}: importing it failed ({type(exc).__name__}: {exc})"]
        ) from None
    finally:
        sys.path.remove(folder)
    found = getattr(module, class_name, None)
    if not (isinstance(found, type) and issubclass(found, torch.nn.Module)):
        classes = [
            n
            for n, v in vars(module).items()
            if isinstance(v, type)
            and issubclass(v, torch.nn.Module)
            and v.__module__ == module.__name__
        ]
        raise ImportRefused(
            [
                f"{path} has no nn.Module class {class_name!r} (it has {', '.join(classes) or 'none'})"
            ]
        )
    return found


def build_instance(cls, weights: str | Path | None = None) -> torch.nn.Module:
    """CLASS() with no arguments, with the weights file loaded into it when given."""
    try:
        module = cls()
    except Exception as exc:
        raise ImportRefused(
            [f"{cls.__name__}() with no arguments failed ({type(exc).__name__}: {exc})"]
        ) from None
    if weights is not None:
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
            module.load_state_dict(state)
        except Exception as exc:  # a foreign, truncated or mismatched file
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ImportRefused(
                [f"{Path(weights).name}: cannot load into {cls.__name__} ({first})"]
            ) from None
    return module
