"""The training dashboard and the export panel in a real browser against `streamlit run app.py`."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from urllib.parse import parse_qs, urlparse

from builder.design.presets import load_preset
from builder.people.designs import DesignLibrary
from builder.runs.store import RunStore
from tests.builder.helpers import run_exported_train
from tests.e2e.canvas_helpers import open_preset
from tests.e2e.conftest import ARTIFACTS, wait_idle
from tests.e2e.dashboard_helpers import (
    TRAIN_TIMEOUT_S,
    chart_points,
    choose,
    click,
    count_script_runs,
    image_src,
    open_area,
    progress,
    set_number,
    start_training,
    wait_for_status,
)
from tests.waiting import wait_until


def test_lenet_trains_live_then_shows_feature_maps_and_exports_a_working_zip(page, shot, tmp_path):
    # 8 epochs of batches of 4: about 2 s of training on one core, so the chart, redrawn twice a
    # second, is seen growing (3 epochs ended within one redraw on a fast machine).
    start_training(page, "lenet_digits", 8, batch_size=4)
    seen = []  # (points on the loss chart, progress text) while the run goes on

    def finished():
        text = progress(page)
        seen.append((chart_points(page, "nb_live_loss"), text))
        if len(seen) == 1 or seen[-1][0] != seen[-2][0]:
            if "Training" in text and seen[-1][0] and not any(p for p, _ in seen[:-1]):
                shot("first-loss-points")
        return "Finished" in text

    wait_until(finished, TRAIN_TIMEOUT_S, every=0.05)
    during = [points for points, text in seen if "Training" in text and points]
    assert len(set(during)) >= 2 and during == sorted(during), seen  # grew WHILE training
    wait_idle(page)
    shot("finished")
    metrics = page.locator(".st-key-nb_live_metrics").inner_text()
    assert "Validation accuracy" in metrics and "%" in metrics
    assert chart_points(page, "nb_live_accuracy") == 8
    page.locator(".st-key-nb_live_confusion .js-plotly-plot").first.wait_for()

    page.locator("[data-testid=stExpander]").filter(has_text="Feature maps").locator(
        "summary"
    ).click()
    wait_idle(page)
    set_number(page, "Validation sample", 5)
    output = page.locator(".st-key-nb_fm_output")
    output.locator("img").first.wait_for()
    assert "16 channels" in output.inner_text()
    page.locator(".st-key-nb_fm_input").get_by_text("sample 5,").wait_for()
    page.locator(".st-key-nb_fm_probs .js-plotly-plot").first.wait_for()
    page.locator(".st-key-nb_fm_output").scroll_into_view_if_needed()
    shot("feature-maps")

    open_area(page, "Export")
    source = page.locator("[data-testid=stSelectbox]").filter(has_text="Export").first
    assert "Run #1" in source.locator("input").input_value()
    shot("export")
    with page.expect_download() as info:
        click(page, "nb_dl_zip")
    data = open(info.value.path(), "rb").read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path)
    folder = tmp_path / names[0].split("/")[0]
    assert {p.name for p in folder.iterdir()} >= {
        "README.md", "model.py", "train.py", "design.json", "weights.pt"
    }  # fmt: skip
    row = run_exported_train(folder)[0]
    assert row["epoch"] == 1 and row["val_accuracy"] > 0.1


def test_pause_resume_and_stop(page, shot):
    start_training(page, "lenet_digits", 300)
    wait_until(
        lambda: chart_points(page, "nb_live_loss") > 3 and _epoch(progress(page)) >= 2,
        TRAIN_TIMEOUT_S,
    )
    click(page, "nb_pause")
    wait_for_status(page, "Paused", 30)
    shot("paused")
    # Steps taken before the pause arrived are drawn by the next redraws; then it holds.
    count_script_runs(page)(2)
    held = chart_points(page, "nb_live_loss")
    count_script_runs(page)(2)
    assert chart_points(page, "nb_live_loss") == held
    # Mid-run, the feature maps look inside the model as trained so far (saved each epoch).
    page.locator("[data-testid=stExpander]").filter(has_text="Feature maps").locator(
        "summary"
    ).click()
    wait_idle(page)
    page.get_by_text("saved while training", exact=False).first.wait_for()  # maps and explanations
    page.locator(".st-key-nb_fm_output img").first.wait_for()
    shot("feature-maps-while-paused")
    click(page, "nb_pause")  # now labelled Resume
    wait_until(lambda: chart_points(page, "nb_live_loss") > held, 60)
    pressed = time.monotonic()
    click(page, "nb_stop")
    wait_for_status(page, "Stopped", 30)
    seconds = time.monotonic() - pressed  # measured for the record; bench/dashboard.py reports it
    wait_idle(page)
    shot("stopped")
    after = chart_points(page, "nb_live_loss")
    open_area(page, "Runs")  # the page runs again, twice: the stopped run's chart holds
    open_area(page, "Train")
    page.locator(".st-key-nb_live_loss .js-plotly-plot").first.wait_for()
    assert chart_points(page, "nb_live_loss") == after
    assert page.locator(".st-key-nb_train button").first.is_enabled()  # (one is a hidden copy)
    (ARTIFACTS / "stop_seconds.json").write_text(json.dumps({"stop_to_stopped_s": seconds}))


def _epoch(progress_text: str) -> int:
    found = re.search(r"epoch (\d+)/", progress_text)
    return int(found.group(1)) if found else 0


def test_gan_sample_grid_changes_across_epochs(page, shot):
    epochs = 3
    start_training(page, "mlp_gan_digits", epochs, batch_size=8)
    sources = []

    def finished():
        done = "Finished" in progress(page)
        src = image_src(page, "nb_gan_samples")
        if src and (not sources or sources[-1] != src):
            sources.append(src)
            shot(f"samples-{len(sources)}")
        return done

    wait_until(finished, TRAIN_TIMEOUT_S)
    wait_idle(page)
    finished()  # the last epoch's grid
    # The grid was renewed while training (a fast epoch may come and go between two looks,
    # so every epoch is checked below through the slider, not by catching it live).
    assert len(set(sources)) >= 2, sources
    assert chart_points(page, "nb_live_gan_scores") == 2 * epochs  # D(x) and D(G(z)) per epoch
    slider = page.get_by_role("slider")
    slider.focus()
    slider.press("Home")  # back to the untrained generator
    by_epoch = {}
    for epoch in range(epochs + 1):
        if epoch:
            slider.press("ArrowRight")
        label = "untrained" if epoch == 0 else f"after epoch {epoch}"
        wait_until(
            lambda label=label: label in page.locator(".st-key-nb_gan_samples").inner_text(),
            TRAIN_TIMEOUT_S,
        )
        wait_idle(page)
        by_epoch[epoch] = image_src(page, "nb_gan_samples")
        shot(f"stepped-to-epoch-{epoch}")
    assert len(set(by_epoch.values())) == epochs + 1, by_epoch  # each epoch its own samples


def _design_id(page) -> str:
    return parse_qs(urlparse(page.url).query)["design"][0]


def test_broken_csv_upload_changes_nothing(page, shot, app_server):
    store = RunStore(app_server.person_folder(page))
    open_preset(page, "mlp_moons")
    earlier = store.create_run(load_preset("mlp_moons"), design_id=_design_id(page))
    store.add_metrics(earlier, 1, {"epoch": 1, "train_loss": 0.5, "val_loss": 0.4})
    store.finish_run(earlier, "finished", final={"val_loss": 0.4})
    runs_before = store.list_runs()
    open_area(page, "Train")
    design_before = app_server.open_design_file(page).read_text()
    choose(page, "Data set", "Upload a file (CSV, NPZ, image ZIP, text)…")
    upload = page.locator("[data-testid=stFileUploaderDropzoneInput]")
    upload.set_input_files(
        files=[
            {
                "name": "points.csv",
                "mimeType": "text/csv",
                "buffer": b"a,b,label\n1,2,x\n3,oops,y\n",
            }
        ]
    )
    wait_idle(page)
    message = page.get_by_text("row 3, column 'b'")
    message.wait_for()
    assert (
        "is not a number" in message.inner_text() and "Nothing was changed" in message.inner_text()
    )
    assert "Run #1 · Finished" in progress(page)  # the earlier run, still shown
    shot("broken-csv")
    assert app_server.open_design_file(page).read_text() == design_before
    assert store.list_runs() == runs_before
    assert not (app_server.person_folder(page) / "data").exists()

    good = "a,b,label\n" + "".join(f"{i % 7},{i % 5 / 2},{'xy'[i % 2]}\n" for i in range(60))
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
        files=[{"name": "points.csv", "mimeType": "text/csv", "buffer": good.encode()}]
    )
    wait_idle(page)
    page.get_by_text("2 classes (x, y)").wait_for()  # the detected shape and classes
    assert "sample [2]" in page.get_by_text("2 classes (x, y)").inner_text()
    assert '"type": "csv"' in app_server.open_design_file(page).read_text()
    assert [p.suffix for p in (app_server.person_folder(page) / "data").iterdir()] == [".csv"]
    shot("good-csv")


def test_runs_compare_open_and_delete(page, shot, app_server):
    store = RunStore(app_server.person_folder(page))
    library = DesignLibrary(app_server.person_folder(page))
    for preset, loss in (("mlp_moons", 0.4), ("lstm_sine", 0.02)):
        # each run belongs to a design document of its own, as a run started in the app does
        document = library.create(load_preset(preset))
        run_id = store.create_run(load_preset(preset), design_id=document)
        for epoch in (1, 2):
            store.add_metrics(
                run_id, epoch, {"epoch": epoch, "train_loss": loss / epoch, "val_loss": loss}
            )
        store.finish_run(run_id, "finished", final={"val_loss": loss})
    grid = page.locator("[data-testid=stDataFrame] canvas").first

    def tick(*rows: int) -> None:
        """On a freshly opened Runs area, tick these rows (1 is the newest run)."""
        grid.wait_for()
        page.wait_for_timeout(500)  # the grid draws its rows after it appears
        for row in rows:
            grid.click(position={"x": 15, "y": 18 + 36 * row}, force=True)
            wait_idle(page)

    open_area(page, "Runs")
    tick(1)  # run #2
    page.locator(".st-key-nb_runs_overlay .js-plotly-plot").first.wait_for()
    assert chart_points(page, "nb_runs_overlay") == 2
    click(page, "nb_runs_watch")  # goes to Train, which now shows that run
    wait_until(lambda: "Run #2 · Finished" in progress(page), 30)
    open_area(page, "Runs")
    tick(1)
    click(page, "nb_runs_open")  # goes to Design, with the run's design on the canvas
    wait_idle(page)
    assert '"name": "lstm_sine"' in app_server.open_design_file(page).read_text()
    page.get_by_text("Opened the design of run #2").wait_for()
    page.locator("[data-palette-item=Input]").first.wait_for()
    open_area(page, "Runs")
    tick(1, 2)  # run #1 too
    assert chart_points(page, "nb_runs_overlay") == 4
    shot("two-runs-compared")
    click(page, "nb_runs_delete")
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert "cannot be undone" in dialog.inner_text()
    shot("asks-before-deleting")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    wait_idle(page)
    assert store.list_runs() == []
    assert page.get_by_text("No runs yet").count() == 1
