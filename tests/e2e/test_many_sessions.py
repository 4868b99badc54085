"""Twenty pages at once on the real server (websocket clients, see st_client.py), each editing and
autosaving its own design: nothing is lost, nothing crosses from one person to another."""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
from urllib.parse import parse_qs

from builder.people.designs import DesignLibrary
from tests.e2e.st_client import PageClient

PEOPLE = 14
SESSIONS = 20  # the last six are second tabs of six of the people
EDITS = 3


def key_of(session: int) -> str:
    return f"many-sessions-person-{session % PEOPLE:02d}-000000000"


async def one_page(url: str, session: int, timings: list[float]) -> tuple[str, list[str]]:
    """Open the app, (as a second tab) open a preset, rename the design EDITS times; returns the
    open design's id and the exceptions the page showed."""
    problems: list[str] = []
    async with PageClient(url, key_of(session)) as page:
        started = time.perf_counter()
        shown = await page.run()
        timings.append(time.perf_counter() - started)
        problems += shown.exceptions
        if session >= PEOPLE:
            preset = next(w for w in shown.widgets if w.id.endswith("nb_preset_mlp_moons"))
            shown = await page.run({preset.id: True})
            problems += shown.exceptions
        for n in range(EDITS):
            name = page.widget(shown, "text_input", "Design name")
            started = time.perf_counter()
            shown = await page.run({name.id: f"session {session} edit {n}"})
            timings.append(time.perf_counter() - started)
            problems += shown.exceptions
        return parse_qs(page.query_string)["design"][0], problems


async def all_pages(url: str, timings: list[float]):
    return await asyncio.gather(*(one_page(url, s, timings) for s in range(SESSIONS)))


def in_own_loop(coroutine):
    """Run `coroutine` in an event loop of its own thread (the browser tests' Playwright keeps
    one running in this thread)."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # handed to the test's own thread
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_twenty_sessions_editing_at_once_lose_and_cross_nothing(app_server):
    app_server.reset_workspace()
    timings: list[float] = []
    started = time.perf_counter()
    opened = in_own_loop(all_pages(app_server.url, timings))
    wall = time.perf_counter() - started
    assert [problems for _, problems in opened] == [[]] * SESSIONS

    people = app_server.workspace / "people"
    for session, (design_id, _) in enumerate(opened):
        saved = DesignLibrary(people / key_of(session)).load(design_id)
        assert saved.name == f"session {session} edit {EDITS - 1}"  # its own last edit
    assert len({design_id for design_id, _ in opened}) == SESSIONS  # two tabs, two designs
    for person in range(PEOPLE):  # a person's folder holds only what their own pages made
        names = [c["name"] for c in DesignLibrary(people / key_of(person)).list()]
        # (a second tab that opened before the first had saved anything made its own empty one)
        assert set(names) - {n for n in names if n.startswith("session ")} <= {"untitled"}
        sessions = {int(n.split()[1]) for n in names if n.startswith("session ")}
        assert sessions == {s for s in range(SESSIONS) if s % PEOPLE == person}
    print(
        json.dumps(
            {
                "sessions": SESSIONS,
                "script_runs": len(timings),
                "wall_s": round(wall, 2),
                "run_median_s": round(statistics.median(timings), 3),
                "run_max_s": round(max(timings), 3),
            }
        )
    )
