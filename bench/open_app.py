"""Time to open the app for a person with many designs, against a person with one.

Starts `streamlit run app.py` on a temporary workspace whose person holds N designs (LeNet,
each under its own name), then opens the page again and again as that person's browser would
(a new session each time, over Streamlit's websocket, with the key cookie) and times the first
script run, to its end.  My designs lists them all, so this is what a hundred costs.

Prints JSON lines: {"bench": "open_app", "designs": N, "median_s", "max_s", "ratio_to_one"}.

    python bench/open_app.py [--designs 100] [--rounds 7] [--tiny]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from builder.design.presets import load_preset  # noqa: E402
from builder.people.designs import DesignLibrary  # noqa: E402
from builder.people.keys import person_dir  # noqa: E402
from tests.e2e.conftest import start_app, stop_app  # noqa: E402
from tests.e2e.st_client import PageClient  # noqa: E402

KEY = "bench-open-app-person-00000000000"


async def open_once(url: str) -> float:
    started = time.perf_counter()
    async with PageClient(url, KEY) as page:
        shown = await page.run()
    assert not shown.exceptions, shown.exceptions
    return time.perf_counter() - started


def measure(designs: int, rounds: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "workspace"
        library = DesignLibrary(person_dir(workspace, KEY))
        lenet = load_preset("lenet_digits")
        for n in range(designs):
            library.create(replace(lenet, name=f"design {n:03d}"))
        with open(Path(tmp) / "server.log", "w+b") as log:
            process, url = start_app(workspace, log)
            try:
                asyncio.run(open_once(url))  # the server's own first run warms its imports
                return [asyncio.run(open_once(url)) for _ in range(rounds)]
            finally:
                stop_app(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="every part at its smallest: the script runs, its figures mean nothing",
    )
    args = parser.parse_args()
    if args.tiny:
        args.designs, args.rounds = 2, 1
    runs = {count: measure(count, args.rounds) for count in (1, args.designs)}
    one = statistics.median(runs[1])
    for count, times in runs.items():
        median = statistics.median(times)
        print(
            json.dumps(
                {
                    "bench": "open_app",
                    "designs": count,
                    "median_s": round(median, 3),
                    "max_s": round(max(times), 3),
                    "ratio_to_one": round(median / one, 3),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
