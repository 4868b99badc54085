"""Turning free-text node ids into safe, unique Python identifiers; user text never becomes code."""

from __future__ import annotations

import keyword
import re

import torch.nn as nn

from builder.codegen.sequence_helpers import SEQUENCE_HELPERS

# Names the generated module itself uses, or that nn.Module instances already have: an
# instance's, not only the class's (`training`, `_modules`, ... live in the instance).
RESERVED = {
    "self",
    "torch",
    "nn",
    "Add",
    "Concat",
    "Reshape",
    "SequenceOutput",
    "Model",
    "Generator",
    "Discriminator",
    "NODE_MODULES",
    "NODE_LAYERS",
    "INPUT_SHAPE",
    "OUTPUT_SHAPE",
    "INPUT_TOKENS",
    *SEQUENCE_HELPERS,
} | set(dir(nn.Module()))


def literal(text: str) -> str:
    """A Python string literal for any text: ASCII only, every other character escaped.

    It is the one way user text (names, ids, paths, column and class names) enters generated
    files. It evaluates back to exactly `text` (astral and lone surrogate characters included),
    and it can sit in a comment or a Markdown line without ever ending the line.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= code < 127:
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


class IdentifierTable:
    """Hands out one identifier per node id, unique across the model and its derived attributes."""

    def __init__(self) -> None:
        self._taken: set[str] = set(RESERVED)
        self._by_id: dict[str, str] = {}

    def __getitem__(self, node_id: str) -> str:
        if node_id not in self._by_id:
            self._by_id[node_id] = self._claim(sanitize(node_id))
        return self._by_id[node_id]

    def claim(self, wanted: str) -> str:
        return self._claim(wanted)

    def _claim(self, base: str) -> str:
        if keyword.iskeyword(base) or keyword.issoftkeyword(base):
            base += "_"
        name, n = base, 2
        while name in self._taken:
            name = f"{base}_{n}"
            n += 1
        self._taken.add(name)
        return name


def sanitize(node_id: str) -> str:
    name = re.sub(r"\W", "_", node_id, flags=re.ASCII).strip("_")
    name = re.sub(r"_+", "_", name)[:40] or "node"
    if name[0].isdigit():
        name = "n_" + name
    return name
