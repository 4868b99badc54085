"""The server-wide cache of data sets the page has read, bounded by the bytes its arrays take.

Every person's page reruns on each click and reads the design's data set again; keeping the
arrays saves that work.  A count of entries bounds nothing (one entry may be a gigabyte), so
the cache counts bytes: the least recently used data sets leave first, and one larger than the
whole budget is handed back without being kept.  NETBUILDER_MAX_CACHE_MB sets the budget.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st

from builder.limits import MB, EnvLimit

DEFAULT_CACHE_MB = 2048.0
MAX_ENTRIES = 64  # refusals (a message each) are kept too; this bounds how many
ENTRY_BYTES = 1024  # what a kept message costs, roughly


CACHE_LIMIT = EnvLimit("NETBUILDER_MAX_CACHE_MB", DEFAULT_CACHE_MB, "megabytes", scale=MB)


def cache_limit() -> int:
    """The cache's budget in bytes: NETBUILDER_MAX_CACHE_MB (default 2048 MiB)."""
    return int(CACHE_LIMIT.read())


def value_bytes(value: Any) -> int:
    """The bytes of the numpy arrays a cached value holds (its attributes, or a tuple's items)."""
    items = value if isinstance(value, tuple) else (value,)
    total = ENTRY_BYTES
    for item in items:
        fields = vars(item).values() if hasattr(item, "__dict__") else (item,)
        total += sum(int(getattr(f, "nbytes", 0) or 0) for f in fields)
    return total


class BytesCache:
    """Least recently used first out, holding at most `limit` bytes and `entries` entries."""

    def __init__(self, limit: int, entries: int = MAX_ENTRIES):
        self.limit, self.entries = limit, entries
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def held(self) -> int:
        with self._lock:
            return sum(size for _, size in self._items.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The value kept under `key`, or `make()`'s (kept when it fits).  Two pages asking for
        one key at once may both make it; the lock is never held while making."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found[0]
        value = make()
        size = value_bytes(value)
        if size > self.limit:
            return value  # larger than the whole cache: used, never kept
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = (value, size)
            held = sum(s for _, s in self._items.values())
            while held > self.limit or len(self._items) > self.entries:
                _, (_, dropped) = self._items.popitem(last=False)
                held -= dropped
        return value


@st.cache_resource(show_spinner=False)
def data_cache() -> BytesCache:
    """The one cache of the server (every session's pages share it)."""
    return BytesCache(cache_limit())
