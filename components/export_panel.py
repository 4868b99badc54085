"""Export: the generated model.py and train.py (the very text of the files), downloads of each
file, the trained weights, one ZIP with a README, and ONNX checked in onnxruntime."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from builder import DesignError, load_design
from builder.data.uploads import uploads_dir
from builder.export.bundle import bundle_files, bundle_zip
from builder.export.files import export_files, slug
from builder.export.onnx import export_onnx, onnx_missing
from components import design_state as ds
from components import person
from components import run_session as rs
from components.runs_panel import result_text
from components.ui_text import md_escape

CANVAS = 0  # the source option for the design on the canvas (run ids are >= 1)
ONNX = "nb_export_onnx"
MIME = {".py": "text/x-python", ".json": "application/json", ".ipynb": "application/x-ipynb+json"}


@st.cache_data(max_entries=8, show_spinner=False)
def _sources(design_json: str) -> tuple[dict[str, str], str | None]:
    try:
        return export_files(load_design(design_json)), None
    except DesignError as exc:
        return {}, str(exc)


def trained_runs() -> list[dict]:
    """Runs with saved weights, newest first."""
    return [
        r
        for r in rs.store().list_runs()
        if r.get("weights_path") and Path(r["weights_path"]).is_file()
    ]


def default_source(runs: list[dict], design) -> int:
    """The newest trained run of exactly the design on the canvas, else the canvas itself."""
    models = design.to_dict()["models"]
    for run in runs:
        full = rs.store().get_run(run["id"])
        if full and (full.get("design") or {}).get("models") == models:
            return run["id"]
    return CANVAS


def render_export_area() -> None:
    current = ds.current_design()
    runs = trained_runs()
    options = [CANVAS] + [r["id"] for r in runs]
    by_id = {r["id"]: r for r in runs}
    default = default_source(runs, current)

    def label(option: int) -> str:
        if option == CANVAS:
            return "The design on the canvas (untrained: no weights)"
        run = by_id[option]
        extra = result_text(run)
        return f"Run #{option} · {run['name']} · {run['status']}" + (f" · {extra}" if extra else "")

    key = f"nb_export_source:{default}:{len(runs)}"
    source = st.selectbox(
        "Export",
        options,
        index=options.index(default),
        format_func=label,
        key=key,
        help="A run exports the design it trained (frozen when Train was pressed) with its weights",
    )
    if source == CANVAS:
        design, weights, run_id = current, None, None
    else:
        run = rs.store().get_run(source)
        design, weights, run_id = load_design(run["design"]), run["weights_path"], source
        if run["design"].get("models") != current.to_dict()["models"]:
            st.caption("This run's design differs from the canvas; the export is the run's own.")
    texts, error = _sources(design.to_json())
    if error:
        st.error(md_escape(f"The design cannot be exported yet: {error}"), icon=":material/error:")
        return
    render_downloads(design, texts, weights, run_id)
    render_onnx(design, weights, run_id)
    tabs = st.tabs(list(texts))
    for tab, (name, text) in zip(tabs, texts.items(), strict=True):
        with tab, st.container(key=f"nb_export_code_{name.replace('.', '_')}"):
            st.code(
                text,
                language="json" if name.endswith((".json", ".ipynb")) else "python",
                line_numbers=True,
            )


def render_downloads(design, texts: dict[str, str], weights, run_id) -> None:
    folder = slug(design.name)
    with st.container(horizontal=True, key="nb_export_downloads"):
        for name, text in texts.items():
            st.download_button(
                name,
                data=text,
                file_name=name,
                mime=MIME.get(Path(name).suffix, "text/plain"),
                key=f"nb_dl_{name}",
                on_click="ignore",
                icon=":material/download:",
            )
        st.download_button(
            "weights.pt",
            data=(lambda: Path(weights).read_bytes()) if weights else b"",
            file_name="weights.pt",
            mime="application/octet-stream",
            key="nb_dl_weights",
            on_click="ignore",
            disabled=weights is None,
            icon=":material/download:",
            help=None if weights else "Train the design (or pick a trained run) to get weights",
        )
        onnx = st.session_state.get(ONNX, {}).get((run_id, design.to_json()))
        # Read now: the ZIP is made when it is clicked, outside this run, with no session at hand.
        uploads = uploads_dir(person.folder())
        st.download_button(
            "Everything (ZIP)",
            data=lambda: bundle_zip(
                bundle_files(
                    design,
                    weights_path=weights,
                    run_id=run_id,
                    onnx=onnx,
                    data_root=uploads,
                ),
                folder,
            ),
            file_name=f"{folder}.zip",
            mime="application/zip",
            key="nb_dl_zip",
            on_click="ignore",
            type="primary",
            icon=":material/folder_zip:",
            help="model.py, train.py, design.json, weights.pt and a README on running it (with torchrun too)",
        )


def _make_onnx(design, weights, run_id) -> None:
    result = export_onnx(design, weights)
    st.session_state.setdefault(ONNX, {})[(run_id, design.to_json())] = result


def render_onnx(design, weights, run_id) -> None:
    with st.container(border=True, key="nb_export_onnx"):
        st.markdown("**ONNX**")
        why = onnx_missing()
        if why:
            st.info(md_escape(why), icon=":material/info:")
            return
        result = st.session_state.get(ONNX, {}).get((run_id, design.to_json()))
        if result is None:
            which = "the trained model" if weights else "the untrained model"
            st.button(
                f"Export {which} to ONNX",
                key="nb_onnx_make",
                on_click=_make_onnx,
                args=(design, weights, run_id),
                icon=":material/conversion_path:",
                help="Exports, then runs the file in onnxruntime and compares its outputs with PyTorch's",
            )
            return
        if result.data is None:
            st.error(md_escape(result.note), icon=":material/error:")
            return
        shown = st.success if result.verified else st.warning
        shown(
            md_escape(result.note),
            icon=":material/check_circle:" if result.verified else ":material/warning:",
        )
        st.download_button(
            result.file_name,
            data=result.data,
            file_name=result.file_name,
            mime="application/octet-stream",
            key="nb_dl_onnx",
            on_click="ignore",
            icon=":material/download:",
        )
