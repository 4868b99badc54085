"""Waiting for something to happen, the one way every test does it.

A test never sleeps for a guessed time and then looks: it names what it waits for and how long
that may take at most, and goes on the moment it happens (a slow, shared machine only makes the
test slower, never wrong).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class WaitTimeout(AssertionError):
    """What was waited for did not happen in time (a test failure, with what was awaited)."""


def wait_until(
    condition: Callable[[], Any],
    timeout: float,
    message: str | Callable[[], str] | None = None,
    *,
    every: float = 0.05,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Call `condition` until it returns something truthy, and return that.

    After `timeout` seconds raise WaitTimeout with `message` (a callable is asked then, so it can
    tell what was seen meanwhile). `every`: seconds between calls; `sleep`: how to pass them (a
    browser test passes the page's own wait, so the page keeps handling its events)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            if callable(message):
                message = message()
            what = message or getattr(condition, "__name__", "the condition")
            raise WaitTimeout(f"waited {timeout:g} s for {what}")
        sleep(every)


def drain(handle, until: Callable[[dict], bool], timeout: float = 120.0) -> list[dict]:
    """Poll a run handle (anything with `poll()` returning new events) as the page does, until
    an event matches `until`; return every event seen up to the poll that brought it."""
    events: list[dict] = []

    def matched() -> bool:
        new = handle.poll()
        events.extend(new)
        return any(until(e) for e in new)

    wait_until(
        matched,
        timeout,
        lambda: f"a matching event; got {[e['type'] for e in events]}",
        every=0.02,
    )
    return events
