"""Run history from the SQLite store: filter, tick runs to compare their curves, open a run's
design on the canvas, watch it under Train, write it for TensorBoard, delete it (after asking)."""

from __future__ import annotations

import time

import streamlit as st

from builder import DesignError, load_design
from builder.export.tensorboard import FOLDER as TENSORBOARD_FOLDER
from builder.export.tensorboard import tensorboard_command, write_run_tensorboard
from components import charts
from components import design_state as ds
from components import run_session as rs
from components.navigation import go_to
from components.ui_text import md_escape

CHART_CONFIG = {"displaylogo": False}


def result_text(run: dict) -> str:
    final = run.get("final") or {}
    if run.get("task") == "gan":
        if "d_loss" in final:
            return f"D {final['d_loss']:.3f} · G {final['g_loss']:.3f}"
    elif isinstance(final.get("val_accuracy"), float):
        return f"accuracy {final['val_accuracy']:.1%}"
    elif isinstance(final.get("val_loss"), float):
        return f"val loss {final['val_loss']:.4g}"
    if run.get("error"):
        return run["error"][:80]
    return ""


def table_rows(runs: list[dict]) -> list[dict]:
    rows = []
    for run in runs:
        ended = run.get("ended_at") or time.time()
        rows.append(
            {
                "run": run["id"],
                "name": run["name"],
                "task": run.get("task") or "",
                "data set": run.get("dataset") or "",
                "status": run["status"],
                "epochs": run.get("epochs_done") or 0,
                "result": result_text(run),
                "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(run["started_at"])),
                "seconds": round(ended - run["started_at"], 1),
            }
        )
    return rows


def filter_runs(runs: list[dict], text: str, tasks: list[str], statuses: list[str]) -> list[dict]:
    text = text.strip().lower()
    return [
        r
        for r in runs
        if (not text or text in r["name"].lower() or text in (r.get("dataset") or "").lower())
        and (not tasks or r.get("task") in tasks)
        and (not statuses or r["status"] in statuses)
    ]


def _open_design(run_id: int) -> None:
    run = rs.store().get_run(run_id)
    try:
        design = load_design(run["design"])
    except (DesignError, TypeError) as exc:
        ds.notify("error", f"Run #{run_id}'s design cannot be opened: {exc}")
        return
    ds.replace_design(design)
    ds.notify(
        "success",
        f"Opened the design of run #{run_id} on the canvas as a new design (yours is kept in My designs).",
    )
    go_to("Design")


def _watch(run_id: int) -> None:
    """Show the run in the Train area, with its own design open there (runs belong to theirs)."""
    run = rs.store().get_run(run_id) or {}
    owner = run.get("design_id")
    if not owner:  # trained before runs were kept with their design
        ds.notify("info", f"Run #{run_id} belongs to no saved design: open its design first.")
        return
    if owner != ds.design_id() and not ds.open_document(owner):
        return  # the notice says why
    rs.watched(ds.design_id())
    rs.watch(run_id)
    ds.notify("info", f"Showing run #{run_id}.")
    go_to("Train")


@st.dialog("Delete runs?")
def _confirm_delete(run_ids: list[int]) -> None:
    busy = [r for r in run_ids if rs.is_active(r)]
    names = ", ".join(f"#{r}" for r in run_ids)
    if busy:
        st.warning(f"Run {', '.join(f'#{r}' for r in busy)} is still training: stop it first.")
        return
    what = "run" if len(run_ids) == 1 else "runs"
    st.write(f"Delete {what} {names} with metrics and weights? This cannot be undone.")
    cols = st.columns(2)
    if cols[0].button("Delete", type="primary", key="nb_runs_delete_yes"):
        for run_id in run_ids:
            rs.store().delete_run(run_id)
            rs.forget(run_id)
        ds.notify("success", f"Deleted {what} {names}.")
        st.rerun()
    if cols[1].button("Cancel", key="nb_runs_delete_no"):
        st.rerun()


TENSORBOARD = "nb_runs_tensorboard_folder"


def _write_tensorboard(run_id: int) -> None:
    """Write a kept run for TensorBoard into its own folder; a missing package is a notice."""
    store = rs.store()
    run = store.get_run(run_id)
    if run is None:
        return
    folder = store.run_dir(run_id) / TENSORBOARD_FOLDER
    try:
        write_run_tensorboard(store.metrics(run_id), run.get("weights_path"), folder)
    except DesignError as exc:
        ds.notify("error", str(exc))
        return
    st.session_state[TENSORBOARD] = (run_id, str(folder))


def _show_tensorboard(picked: list[int]) -> None:
    written = st.session_state.get(TENSORBOARD)
    if not written or written[0] not in picked:
        return
    run_id, folder = written
    st.caption(f"Run #{run_id} written for TensorBoard in {md_escape(folder)}; open it with:")
    st.code(tensorboard_command(folder), language="bash")


def render_runs_area() -> None:
    for level, text in ds.pop_notices():
        getattr(st, level)(md_escape(text))
    runs = rs.store().list_runs()
    if not runs:
        st.info("No runs yet: train a design under Train and it is recorded here.")
        return
    if st.toggle("Only the open design's runs", key="nb_runs_this_design"):
        runs = [r for r in runs if r.get("design_id") == ds.design_id()]
    cols = st.columns([2, 1, 1])
    text = cols[0].text_input("Filter by name or data set", key="nb_runs_filter")
    tasks = cols[1].multiselect(
        "Task", sorted({r.get("task") or "" for r in runs}), key="nb_runs_task"
    )
    statuses = cols[2].multiselect(
        "Status", sorted({r["status"] for r in runs}), key="nb_runs_status"
    )
    shown = filter_runs(runs, text, tasks, statuses)
    st.caption(f"{len(shown)} of {len(runs)} runs · tick runs to compare them")
    event = st.dataframe(
        table_rows(shown),
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        key="nb_runs_table",
        column_config={
            "run": st.column_config.NumberColumn(format="#%d", width="small"),
            "seconds": st.column_config.NumberColumn("seconds", format="%.1f"),
        },
    )
    picked = [shown[i]["id"] for i in event.selection.rows if i < len(shown)]
    if not picked:
        return
    with st.container(horizontal=True, key="nb_runs_actions"):
        one = len(picked) == 1
        st.button(
            "Open design on the canvas",
            key="nb_runs_open",
            on_click=_open_design,
            args=(picked[0],),
            disabled=not one,
            icon=":material/open_in_new:",
        )
        st.button(
            "Show in Train",
            key="nb_runs_watch",
            on_click=_watch,
            args=(picked[0],),
            disabled=not one,
            icon=":material/monitoring:",
        )
        st.button(
            "Open in TensorBoard",
            key="nb_runs_tensorboard",
            on_click=_write_tensorboard,
            args=(picked[0],),
            disabled=not one,
            icon=":material/insights:",
            help="Write the run's metrics and weights for TensorBoard, and show the command",
        )
        if st.button("Delete…", key="nb_runs_delete", icon=":material/delete:"):
            _confirm_delete(picked)
    _show_tensorboard(picked)
    curves = [(f"#{r} {rs.store().get_run(r)['name']}", rs.store().metrics(r)) for r in picked]
    left, right = st.columns(2)
    with left, st.container(key="nb_runs_overlay"):
        st.plotly_chart(
            charts.overlay_figure(curves, "val_loss"),
            key="nb_runs_overlay_loss",
            config=CHART_CONFIG,
        )
    with right:
        st.plotly_chart(
            charts.overlay_figure(curves, "train_loss"),
            key="nb_runs_overlay_train",
            config=CHART_CONFIG,
        )
