"""The layer registry: every layer kind is one declaration, registered once under an explicit key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from builder.errors import ShapeError
from builder.params import Param, activation_param

Shape = tuple[int, ...]


@dataclass(frozen=True)
class LayerGroup:
    """A palette group: its name, and how its kinds look on the canvas (a colour and a
    one-character icon, drawn as plain text)."""

    name: str
    color: str
    icon: str

    def schema(self) -> dict:
        return {"name": self.name, "color": self.color, "icon": self.icon}


LAYER_GROUPS = (
    LayerGroup("Input/Output", "#2e8540", "⇥"),
    LayerGroup("Core", "#1f6fd1", "▦"),
    LayerGroup("Convolution", "#7b3fbf", "⊞"),
    LayerGroup("Pooling", "#0a8a96", "▼"),
    LayerGroup("Recurrent", "#d9730d", "↻"),
    LayerGroup("Attention", "#4338ca", "◎"),
    LayerGroup("Merge", "#c2327a", "⊕"),
    LayerGroup("Regularization", "#8a6d3b", "≈"),
)
GROUPS = tuple(group.name for group in LAYER_GROUPS)


@dataclass(frozen=True)
class LayerKind:
    """Everything about one kind of layer, side by side.

    shape:  pure rule, (input shapes, full params) -> output shape, or raises ShapeError.
    build:  (input shapes, full params) -> constructor sources of the node's modules, applied in order;
            the last one's output is the node's output. Empty for Input.
    count:  (input shapes, full params) -> number of trainable parameters, computed without tensors.
    flops:  (input shapes, full params) -> forward FLOPs of one sample, for kinds whose work
            torch's FlopCounterMode is not asked to count (recurrent layers, attention); None:
            builder.introspect.flops counts the emitted modules on meta tensors.
    """

    type: str
    group: str
    help: str
    params: tuple[Param, ...]
    shape: Callable[[list[Shape], dict], Shape]
    build: Callable[[list[Shape], dict], list[str]]
    count: Callable[[list[Shape], dict], int] = lambda inputs, p: 0
    inputs: str = "one"  # "none" | "one" | "many"
    activation: bool = False  # carries the shared `activation` param
    helpers: tuple[str, ...] = field(default=())  # helper classes its modules need in emitted code
    tokens: bool = False  # its input is integer tokens [T], not numbers
    flops: Callable[[list[Shape], dict], int] | None = None

    @cached_property
    def all_params(self) -> tuple[Param, ...]:
        return self.params + ((activation_param(),) if self.activation else ())

    def param(self, name: str) -> Param | None:
        return next((p for p in self.all_params if p.name == name), None)

    def resolve(self, params: dict) -> dict:
        """Params with defaults filled in (the design file keeps only what the user set)."""
        return {p.name: params.get(p.name, p.default) for p in self.all_params}

    def schema(self) -> dict:
        return {
            "type": self.type,
            "group": self.group,
            "help": self.help,
            "inputs": self.inputs,
            "params": [p.schema() for p in self.all_params],
        }


_KINDS: dict[str, LayerKind] = {}


def register(kind: LayerKind) -> LayerKind:
    if kind.type in _KINDS:
        raise ValueError(f"layer kind {kind.type!r} is registered twice")
    if kind.group not in GROUPS:
        raise ValueError(f"layer kind {kind.type!r} has unknown group {kind.group!r}")
    _KINDS[kind.type] = kind
    return kind


def get_kind(type_name: str) -> LayerKind | None:
    return _KINDS.get(type_name)


def kind_names() -> list[str]:
    return list(_KINDS)


def layer_kinds() -> list[dict]:
    """Every kind with its param schema: the canvas builds its palette and forms from this."""
    ordered = sorted(_KINDS.values(), key=lambda kind: GROUPS.index(kind.group))
    return [kind.schema() for kind in ordered]


def layer_groups() -> list[dict]:
    """Every palette group with its look, in palette order: the canvas draws kinds from this."""
    return [group.schema() for group in LAYER_GROUPS]


def validate_param(type_name: str, name: str, value) -> str | None:
    """Why `value` is not acceptable for param `name` of kind `type_name`, or None."""
    kind = get_kind(type_name)
    if kind is None:
        return f"unknown layer type {type_name!r}"
    param = kind.param(name)
    if param is None:
        known = ", ".join(p.name for p in kind.all_params) or "none"
        return f"{type_name} has no param {name!r} (known: {known})"
    return param.check(value)


def expect_rank(inputs: list[Shape], ranks: tuple[int, ...], names: str, fix: str | None) -> Shape:
    """The single input's shape, or a ShapeError saying what rank was expected."""
    shape = inputs[0]
    if len(shape) not in ranks:
        raise ShapeError(f"expects {names}, got {fmt_shape(shape)}", fix)
    return shape


def fmt_shape(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


__all__ = [
    "GROUPS",
    "LAYER_GROUPS",
    "LayerGroup",
    "LayerKind",
    "Shape",
    "expect_rank",
    "fmt_shape",
    "get_kind",
    "kind_names",
    "layer_groups",
    "layer_kinds",
    "register",
    "validate_param",
]
