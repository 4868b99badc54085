"""The app's trainings on a Ray cluster, in a real browser: a local head on 127.0.0.1 (2 CPUs),
the app started with NETBUILDER_EXECUTOR=ray; live curves, pause, resume and stop in the page,
and the weights back in the person's workspace."""

from __future__ import annotations

import os

import pytest

if os.environ.get("CI") != "true":
    pytest.importorskip("ray", reason='Ray is optional: pip install "netbuilder[ray]"')

from builder.runs.store import RunStore  # noqa: E402
from tests.builder.ray_head import local_head  # noqa: E402
from tests.e2e.canvas_helpers import open_preset  # noqa: E402
from tests.e2e.conftest import START_TIMEOUT_S, VIEWPORT, start_app, stop_app, wait_idle  # noqa: E402
from tests.e2e.dashboard_helpers import (  # noqa: E402
    TRAIN_TIMEOUT_S,
    chart_points,
    click,
    open_area,
    set_number,
    wait_for_status,
)
from tests.waiting import wait_until  # noqa: E402

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_app(tmp_path_factory):
    workspace = tmp_path_factory.mktemp("ray-workspace")
    with local_head(cpus=2) as address:
        with open(tmp_path_factory.mktemp("ray-server") / "server.log", "w+b") as log:
            process, url = start_app(
                workspace, log, NETBUILDER_EXECUTOR="ray", NETBUILDER_RAY_ADDRESS=address
            )
            try:
                yield url, workspace
            finally:
                stop_app(process)


def test_a_run_on_ray_is_live_in_the_page_and_its_weights_come_home(browser, ray_app):
    url, workspace = ray_app
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("[data-palette-item=Input]", timeout=START_TIMEOUT_S * 1000)
        wait_idle(page)
        open_preset(page, "mlp_moons")
        open_area(page, "Train")
        set_number(page, "Epochs", 400)
        set_number(page, "Batch size", 8)
        click(page, "nb_train")
        wait_until(
            lambda: chart_points(page, "nb_live_loss") > 3, TRAIN_TIMEOUT_S
        )  # live, from the cluster
        click(page, "nb_pause")
        wait_for_status(page, "Paused", 30)
        click(page, "nb_pause")  # Resume
        held = chart_points(page, "nb_live_loss")
        wait_until(lambda: chart_points(page, "nb_live_loss") > held, 60)
        click(page, "nb_stop")
        wait_for_status(page, "Stopped", 30)
        key = next(c["value"] for c in context.cookies() if c["name"] == "netbuilder_key")
        run = RunStore(workspace / "people" / key).list_runs()[0]
        assert run["status"] == "stopped" and run["epochs_done"] >= 1
        assert os.path.exists(run["weights_path"])  # written on the page server's side
    finally:
        context.close()
