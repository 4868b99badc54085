"""The live dashboard against headless training, printed as JSON lines.

1. Throughput: the same LeNet-on-digits design trained by `python -m builder train` (headless)
   and from the page (`streamlit run app.py` open in Chromium, the live view redrawing twice a
   second). Compared on the trainer's own per-epoch samples/s (median over epochs 2..N), the runs
   interleaved `--rounds` times so machine noise hits them alike. The app's worker trains on all
   cores but one (leaving one to the page), so the headless run is measured both with torch's
   default threads and with that same thread count. Target: ratio >= 0.85.
2. First loss point on screen: seconds from the click on Train to the first point drawn on the
   loss chart (the worker process starts, imports torch, loads data, takes a few steps). Target
   <= 3 s.
3. Stop: seconds from the click on Stop until the run has ended (weights saved, recorded in the
   store), and until the page shows it stopped (target <= 2 s).

    python bench/dashboard.py [--epochs 60] [--rounds 4] [--settle 2] [--tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from builder.design.presets import load_preset  # noqa: E402
from builder.people.keys import person_dir  # noqa: E402
from builder.runs.store import RunStore  # noqa: E402
from components.person import KEY_COOKIE  # noqa: E402
from tests.e2e.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    start_app,
    stop_app,
    wait_idle,
)

PRESET = "lenet_digits"


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def median_rate(rows: list[dict]) -> float:
    rates = [
        r["samples_per_sec"] for r in rows if r.get("epoch", 0) >= 2 and r.get("samples_per_sec")
    ]
    return statistics.median(rates or [r["samples_per_sec"] for r in rows])


def headless(epochs: int, work: Path, threads: int | None = None) -> dict:
    design = work / "design.json"
    design.write_text(load_preset(PRESET).with_training(epochs=epochs).to_json())
    out = work / f"headless-{time.monotonic_ns()}"
    t0 = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "builder", "train", str(design), "--out", str(out),
         "--workspace", str(work / "ws-headless"), "--quiet",
         *(["--threads", str(threads)] if threads else [])],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    final = json.loads(result.stdout.strip().splitlines()[-1])
    return {"samples_per_sec": median_rate(rows), "wall_s": wall, "acc": final.get("val_accuracy")}


class App:
    """The real app in a browser, driven like a user."""

    def __init__(self, workspace: Path):
        self.workspace = workspace
        self.log = open(workspace.parent / "streamlit.log", "w+b")  # noqa: SIM115
        self.server, self.url = start_app(workspace, self.log)
        from playwright.sync_api import sync_playwright

        self.pw = sync_playwright().start()
        self.browser = self.pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.page = self.browser.new_page(viewport=VIEWPORT)
        self.page.goto(self.url)
        self.page.wait_for_selector("[data-palette-item=Input]", timeout=60_000)
        self.idle()

    def store(self) -> RunStore:
        """The run store of the person this browser is (its key cookie names them)."""
        key = next(c["value"] for c in self.page.context.cookies() if c["name"] == KEY_COOKIE)
        return RunStore(person_dir(self.workspace, key))

    def idle(self) -> None:
        wait_idle(self.page, 60_000)

    def prepare(self, epochs: int) -> None:
        from tests.e2e.canvas_helpers import open_preset
        from tests.e2e.dashboard_helpers import open_area, set_number

        open_area(self.page, "Design")
        open_preset(self.page, PRESET)
        open_area(self.page, "Train")
        set_number(self.page, "Epochs", epochs)

    def points(self, run: int | None = None) -> int:
        """Points on the loss chart (given `run`, only while it shows that run)."""
        from tests.e2e.dashboard_helpers import chart_points

        return chart_points(self.page, "nb_live_loss", run)

    def status(self) -> str:
        from tests.e2e.dashboard_helpers import progress

        return progress(self.page)

    def train(self, epochs: int, settle_s: float = 0.0) -> dict:
        """Train from the page; seconds to the first loss point and the trainer's samples/s."""
        self.prepare(epochs)
        time.sleep(settle_s)  # a person looks at the settings before pressing Train
        before = {r["id"] for r in self.store().list_runs()}
        new = max(before, default=0) + 1  # the new run, not the one shown before
        self.page.locator(".st-key-nb_train button").first.click()
        clicked = time.perf_counter()
        while f"Run #{new} " not in self.status() or self.points(new) == 0:
            time.sleep(0.02)
        first = time.perf_counter() - clicked
        while "Finished" not in self.status():
            time.sleep(0.25)
        wall = time.perf_counter() - clicked
        store = self.store()
        run_id = next(r["id"] for r in store.list_runs() if r["id"] not in before)
        rows = store.metrics(run_id)
        return {"samples_per_sec": median_rate(rows), "first_point_s": first, "wall_s": wall}

    def stop_latency(self) -> tuple[float, float]:
        """(seconds until the run had ended and saved its weights, until the page said so)."""
        self.prepare(500)
        before = {r["id"] for r in self.store().list_runs()}
        new = max(before, default=0) + 1
        self.page.locator(".st-key-nb_train button").first.click()
        while f"Run #{new} · Training" not in self.status() or self.points(new) < 3:
            time.sleep(0.05)
        self.page.locator(".st-key-nb_stop button").first.click()
        pressed, wall = time.perf_counter(), time.time()
        while "Stopped" not in self.status():
            time.sleep(0.02)
        shown = time.perf_counter() - pressed
        run = self.store().list_runs(limit=1)[0]
        return run["ended_at"] - wall, shown

    def close(self) -> None:
        self.browser.close()
        self.pw.stop()
        stop_app(self.server)
        self.log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--settle", type=float, default=2.0, help="seconds on the Train area before pressing Train"
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="every part at its smallest: the script runs, its figures mean nothing",
    )
    args = parser.parse_args()
    stops = 2
    if args.tiny:
        args.epochs, args.rounds, args.settle, stops = 2, 1, 0.0, 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "ws-app").mkdir()
        app = App(work / "ws-app")
        try:
            threads = max(1, (os.cpu_count() or 2) - 1)  # what the app's worker uses
            heads, heads_same, pages = [], [], []
            for _ in range(args.rounds):
                heads.append(headless(args.epochs, work))
                emit(bench="headless", epochs=args.epochs, threads="torch default", **heads[-1])
                heads_same.append(headless(args.epochs, work, threads))
                emit(bench="headless", epochs=args.epochs, threads=threads, **heads_same[-1])
                pages.append(app.train(args.epochs, settle_s=args.settle))
                emit(bench="dashboard", epochs=args.epochs, threads=threads, **pages[-1])
            page_rate = statistics.median(p["samples_per_sec"] for p in pages)
            for label, runs in (("torch default", heads), (threads, heads_same)):
                head_rate = statistics.median(h["samples_per_sec"] for h in runs)
                emit(
                    bench="throughput",
                    headless_threads=label,
                    headless_samples_per_sec=round(head_rate, 1),
                    dashboard_samples_per_sec=round(page_rate, 1),
                    ratio=round(page_rate / head_rate, 3),
                    # each round's dashboard run against the headless run just before it: the
                    # spread shows how much of a difference is the machine's noise
                    ratio_per_round=[
                        round(p["samples_per_sec"] / h["samples_per_sec"], 3)
                        for p, h in zip(pages, runs, strict=True)
                    ],
                    target=">= 0.85",
                )
            firsts = [p["first_point_s"] for p in pages]
            emit(bench="first_loss_point", seconds=[round(s, 2) for s in firsts], target="<= 3")
            stops = [app.stop_latency() for _ in range(stops)]
            emit(
                bench="stop",
                run_ended_s=[round(a, 2) for a, _ in stops],
                page_shows_stopped_s=[round(b, 2) for _, b in stops],
                target="<= 2",
            )
        finally:
            app.close()


if __name__ == "__main__":
    main()
