"""Preset designs shipped as design files: one click in the gallery, or `load_preset(name)`."""

from __future__ import annotations

import json
from importlib import resources

from builder.design.spec import Design, load_design


def _files():
    return sorted(
        (f for f in resources.files(__package__).iterdir() if f.name.endswith(".json")),
        key=lambda f: f.name,
    )


def list_presets() -> list[dict]:
    """name, title and description of every preset, in gallery order."""
    found = []
    for f in _files():
        data = json.loads(f.read_text(encoding="utf-8"))
        meta = data.get("layout", {}).get("_preset", {})
        found.append(
            {
                "name": f.name[: -len(".json")],
                "title": meta.get("title", data["name"]),
                "description": meta.get("description", ""),
                "order": meta.get("order", 99),
            }
        )
    return sorted(found, key=lambda p: (p["order"], p["name"]))


def load_preset(name: str) -> Design:
    names = [f.name[: -len(".json")] for f in _files()]
    if name not in names:
        raise KeyError(f"no preset {name!r}; presets: {', '.join(names)}")
    return load_design(resources.files(__package__).joinpath(f"{name}.json").read_text("utf-8"))
