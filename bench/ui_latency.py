"""UI latency benchmark: edit -> new shapes visible on the canvas nodes, in a real browser.

Starts `streamlit run app.py` on a free port with a temporary workspace holding a 50-node
design, drives headless Chromium, and times two kinds of edit until the DOM shows the new
shapes that Python inferred (the canvas never computes shapes itself):
- `inspector_param`: set the Input's shape in the inspector (Enter) -> every node's shape updates
  (time until the last node shows its new shape).
- `canvas_connect`: drag an edge onto a dangling Dense node -> its shape appears
  (then Ctrl+Z removes the edge for the next round).
It also times the Python side alone (`analyze`, the one-click fixes and the canvas payload) for
the same design. Each size in --nodes is measured in turn (the target is for 50 nodes; 200 is
measured to see how it grows).

Prints JSON lines: {"bench": "ui_latency", "kind": ..., "median_ms", "p90_ms", "max_ms", ...}.

    python bench/ui_latency.py [--rounds 10] [--nodes 50 200] [--tiny]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's builder, components and tests, not an install

from builder import analyze, load_design  # noqa: E402
from builder.design.fixes import find_fixes  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, IDLE, start_app, stop_app  # noqa: E402

TARGET_MS = 300


def emit(kind: str, **fields) -> None:
    print(json.dumps({"bench": "ui_latency", "kind": kind, **fields}), flush=True)


def stats(samples_s: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples_s)
    return {
        "runs": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[min(len(ms) - 1, int(0.9 * len(ms)))], 1),
        "max_ms": round(ms[-1], 1),
        "target_ms": TARGET_MS,
    }


def chain_design(total: int) -> dict:
    """Input -> Conv2d x (total - 4) -> Flatten -> Dense, plus one dangling Dense ("probe")."""
    convs = total - 4
    nodes = [{"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}}]
    nodes += [
        {"id": f"c{i}", "type": "Conv2d", "params": {"out_channels": 4, "padding": 1}}
        for i in range(convs)
    ]
    nodes += [
        {"id": "flat", "type": "Flatten", "params": {}},
        {"id": "out", "type": "Dense", "params": {"out_features": 10}},
        {"id": "probe", "type": "Dense", "params": {"out_features": 3}},
    ]
    ids = [n["id"] for n in nodes[:-1]]
    edges = [[a, b] for a, b in zip(ids, ids[1:], strict=False)]
    layout = {n["id"]: [(i % 10) * 200, (i // 10) * 120] for i, n in enumerate(nodes)}
    layout["probe"] = [2200, 0]
    return {"version": 1, "name": "bench-chain", "models": {"model": {"nodes": nodes, "edges": edges}},
            "layout": layout}  # fmt: skip


# In-page timing: from the user's input event (Enter key / pointer release) to the moment
# the node's data-shape attribute in the canvas's shadow DOM holds the new value.
ARM = """([id, want, eventType]) => {
    const root = [...document.querySelectorAll("*")].map(e => e.shadowRoot)
        .find(r => r && r.querySelector("[data-canvas]"));
    window.__lat = { start: null, end: null };
    const onEvent = () => { if (window.__lat.start === null) window.__lat.start = performance.now(); };
    document.addEventListener(eventType, onEvent, { capture: true, once: true });
    const done = () => {
        const el = root.querySelector(`[data-node-id="${id}"] [data-shape]`);
        return el && el.dataset.shape === want;
    };
    const obs = new MutationObserver(() => {
        if (window.__lat.start !== null && done()) {
            window.__lat.end = performance.now();
            obs.disconnect();
        }
    });
    obs.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
}"""
DONE = "() => window.__lat.end !== null"
ELAPSED = "() => window.__lat.end - window.__lat.start"


def timed(page, node_id: str, expected: str, event: str, action) -> float:
    """Seconds from `event` (fired by `action`) to `node_id` showing shape `expected`."""
    page.evaluate(ARM, [node_id, expected, event])
    action()
    page.wait_for_function(DONE, timeout=15_000)
    return page.evaluate(ELAPSED) / 1000


def center(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def bench_browser(url: str, rounds: int, design: dict) -> None:
    from playwright.sync_api import sync_playwright

    count = len(design["models"]["model"]["nodes"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        page.goto(url)
        page.wait_for_selector("[data-node-id=in]", timeout=60_000)
        page.wait_for_selector(IDLE)
        page.locator("[data-canvas]").scroll_into_view_if_needed()

        page.locator("[data-node-id=in] .nb-node-head").click()
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE)
        field = page.get_by_label("shape", exact=True)
        samples = []
        for i in range(rounds + 1):
            side = 6 if i % 2 == 0 else 8
            field.fill(f"1, {side}, {side}")
            took = timed(
                page, "flat", f"[{4 * side * side}]", "keydown", lambda: field.press("Enter")
            )
            if i:  # the first round warms caches
                samples.append(took)
            page.wait_for_selector(IDLE)
        emit("inspector_param", nodes=count, **stats(samples))

        samples = []
        for i in range(rounds + 1):
            sx, sy = center(page.locator("[data-node-id=flat] .react-flow__handle.source"))
            tx, ty = center(page.locator("[data-node-id=probe] .react-flow__handle.target"))
            page.mouse.move(sx, sy)
            page.mouse.down()
            page.mouse.move((sx + tx) / 2, (sy + ty) / 2, steps=3)
            page.mouse.move(tx, ty, steps=3)
            took = timed(page, "probe", "[3]", "pointerup", page.mouse.up)
            if i:
                samples.append(took)
            page.wait_for_selector(IDLE)
            page.locator("[data-canvas] .react-flow__pane").click(position={"x": 5, "y": 5})
            page.wait_for_selector(IDLE)
            timed(page, "probe", "", "keydown", lambda: page.keyboard.press("Control+z"))
            page.wait_for_selector(IDLE)
        emit("canvas_connect", nodes=count, **stats(samples))
        browser.close()


def bench_python(design: dict, rounds: int) -> None:
    from components.canvas.bridge import canvas_data

    loaded = load_design(design)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        analysis = analyze(loaded)
        fixes = find_fixes(loaded, analysis)
        canvas_data(loaded, "model", analysis, rev=1, fixes=fixes)
        samples.append(time.perf_counter() - start)
    emit("python_analyze_and_payload", nodes=len(loaded.models["model"].nodes), **stats(samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--nodes", type=int, nargs="+", default=[50, 200])
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="every part at its smallest: the script runs, its figures mean nothing",
    )
    args = parser.parse_args()
    if args.tiny:
        args.rounds, args.nodes = 1, [6]
    for count in args.nodes:
        design = chain_design(count)
        bench_python(design, args.rounds)
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as log:
            (Path(tmp) / "design.json").write_text(json.dumps(design))
            proc, url = start_app(Path(tmp), log)
            try:
                bench_browser(url, args.rounds, design)
            finally:
                stop_app(proc)


if __name__ == "__main__":
    main()
