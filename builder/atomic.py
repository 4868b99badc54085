"""Writing a file atomically: a reader sees the old file or the new one, never half of one, and
a failed write (a full disk, a read-only folder) leaves nothing behind."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write `path`'s new contents into; it replaces `path` when the block
    ends without an error, and is removed when it does not."""
    path = Path(path)
    # A private name: writers of the same file at once never write into each other's copy.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as out:
            yield out
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write `data` (text as UTF-8) to `path` atomically; returns the path."""
    with atomic_writer(path) as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)
