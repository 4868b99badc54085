"""Shared fixtures for browser tests: the real app (`streamlit run app.py`) in headless Chromium.

- `app_server` (session): the app on a free port, with its own temporary NETBUILDER_WORKSPACE;
  `.url`, `.workspace`, `.reset_workspace()`, `.person_folder(page)`, `.open_design_file(page)`.
- `browser` (session): Playwright Chromium (Debian's /usr/bin/chromium). Tests skip when no
  browser is found, except when CI=true: then a missing browser fails them.
- `page` (per test): a new browser context (so a new Streamlit session) on a workspace emptied
  first, with the app loaded and idle.
- `shot(name)` (per test): saves a screenshot to artifacts/e2e/<test name>/NN-name.png.
- `wait_idle(page)`: returns once the app's script run has finished.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.waiting import WaitTimeout, wait_until

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM = os.environ.get("NETBUILDER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1100}
START_TIMEOUT_S = 60
IDLE = (  # the app is connected and no script run is in progress
    "[data-testid=stApp][data-test-script-state=notRunning][data-test-connection-state=CONNECTED]"
)


def _missing_browser(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests need a browser in CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    def __init__(self, url: str, workspace: Path, process: subprocess.Popen):
        self.url = url
        self.workspace = workspace
        self.process = process

    def person_folder(self, page) -> Path:
        """The folder of the person whose browser `page` is (its key cookie names it)."""
        key = next(c["value"] for c in page.context.cookies() if c["name"] == "netbuilder_key")
        return self.workspace / "people" / key

    def open_design_file(self, page) -> Path:
        """The document file of the design `page` has open (its id is in the address)."""
        design_id = parse_qs(urlparse(page.url).query)["design"][0]
        return self.person_folder(page) / "designs" / f"{design_id}.json"

    def reset_workspace(self) -> None:
        for child in self.workspace.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()


def start_app(workspace: Path, log, timeout_s: float = START_TIMEOUT_S, **env_vars):
    """`streamlit run app.py` on a free local port, on `workspace`, its output to the binary
    file `log`; returns (process, url) once the server answers its health check.  `env_vars`:
    more of the server's environment (e.g. NETBUILDER_MAX_RUNS)."""
    port = free_port()
    env = {**os.environ, "NETBUILDER_WORKSPACE": str(workspace), **env_vars}
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", "--server.runOnSave", "false",
    ]  # fmt: skip
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process, log, timeout_s)
    return process, url


def wait_healthy(url: str, process, log, timeout_s: float = START_TIMEOUT_S) -> None:
    """Return once the server at `url` answers its health check; RuntimeError with its log
    when it exits or does not answer in time."""

    def answered() -> str | None:
        if process.poll() is not None:
            return "exited"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                return "healthy" if r.status == 200 else None
        except OSError:
            return None

    try:
        state = wait_until(answered, timeout_s, "the server's health check", every=0.25)
    except WaitTimeout:
        state = "silent"
    if state != "healthy":
        process.kill()
        log.seek(0)
        raise RuntimeError("streamlit did not start:\n" + log.read().decode(errors="replace"))


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    workspace = tmp_path_factory.mktemp("workspace")
    log = open(tmp_path_factory.mktemp("server") / "streamlit.log", "w+b")  # noqa: SIM115
    try:
        # Room for a run a finished test left training, so the next test's run never waits
        # behind it (the queue's own limits are tested on a server of their own).
        process, url = start_app(workspace, log, NETBUILDER_MAX_RUNS="4")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield AppServer(url, workspace, process)
    stop_app(process)
    log.close()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("playwright is not installed")
    if not Path(CHROMIUM).exists():
        _missing_browser(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_idle(page, timeout_ms: int = 30_000) -> None:
    """Wait until the app is connected and no script run is in progress."""
    page.wait_for_timeout(150)  # let a just-sent widget change start its run
    page.wait_for_selector(IDLE, timeout=timeout_ms)


@pytest.fixture
def page(app_server, browser):
    app_server.reset_workspace()
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.goto(app_server.url)
    pg.wait_for_selector("[data-palette-item=Input]", timeout=START_TIMEOUT_S * 1000)
    wait_idle(pg)
    yield pg
    context.close()


@pytest.fixture
def shot(request, page):
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = iter(range(1, 1000))

    def take(name: str) -> Path:
        path = folder / f"{next(count):02d}-{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
