"""Feature maps: pick a validation sample and a layer; see every channel, activations, and the
predicted probabilities, from the watched run's saved weights (while it trains, the ones it saved
last), or else the current, untrained model.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from builder import DesignError, analyze, load_design
from builder.data.check import data_model
from builder.importers.saved import imported_source, imported_weights
from builder.introspect.capture import capture
from builder.introspect.trained import trained_models
from builder.layers.registry import fmt_shape
from builder.training.control import CHECKPOINT_EVERY_S
from components import charts, person
from components import run_session as rs
from components.data_picker import load_for
from components.images import channels_mosaic, image_sample
from components.ui_text import md_escape

_CAPTURE_LOCK = threading.Lock()  # hooks on a module shared by every page: one capture at a time
CHART_CONFIG = {"displaylogo": False}


@st.cache_resource(max_entries=4, show_spinner=False)
def _models(design_json: str, weights: str | None, stamp: float, seed: int):
    torch.manual_seed(seed)
    return trained_models(load_design(design_json), weights)


def source_for(run: dict | None, design, training: bool = False) -> tuple[object, str | None, str]:
    """(design, weights path or None, caption) for the maps: a run with weights (while it
    trains, the ones it saved last), else `design` with the weights it was imported with, else
    `design` untrained. An imported design's own weights win over a run of another design."""
    imported = imported_weights(design, person.folder())
    run_models = (run or {}).get("design", {}) or {}
    other_design = run_models.get("models") != design.to_dict()["models"]
    if imported is not None and (run is None or other_design):
        source = imported_source(design) or "the imported model"
        return design, str(imported), f"weights imported from {source}"
    if run and run.get("weights_path") and Path(run["weights_path"]).is_file():
        if training:
            label = (
                f"weights of run #{run['id']} saved while training (the newest; it saves them "
                f"every {CHECKPOINT_EVERY_S:.0f} s, less often for a model slow to save)"
            )
        else:
            epochs = (run.get("final") or {}).get("epochs", "?")
            label = f"weights of run #{run['id']} ({run['status']}, {epochs} epochs)"
        return load_design(run["design"]), run["weights_path"], label
    why = "the run has not saved weights yet" if run else "no run yet"
    return design, None, f"the current design, untrained ({why})"


def render_feature_maps(run_id: int | None, design) -> None:
    st.fragment(_body)(run_id, design)


def _body(run_id: int | None, current) -> None:
    # Read here, not passed in: each rerun of this part looks at the run's newest weights.
    run = rs.store().get_run(run_id) if run_id is not None else None
    training = rs.is_active(run_id)
    design, weights, label = source_for(run, current, training)
    if training and weights:
        st.button("Look again with the newest weights", key="nb_fm_refresh")  # reruns this part
    analysis = analyze(design)  # the run's own design, or the current one
    if not analysis.ok:
        st.caption("Fix the design's problems to look inside it.")
        return
    dataset, error = load_for(design)
    if dataset is None:
        st.caption(md_escape(f"No samples to show: {error}"))
        return
    model = data_model(design)
    try:
        stamp = Path(weights).stat().st_mtime if weights else 0.0
        seed = int((design.training or {}).get("seed", 0) or 0)
        module = _models(design.to_json(), weights, stamp, seed)[model]
    except DesignError as exc:
        st.warning(md_escape(str(exc)))
        return
    st.caption(md_escape(f"Using the {label}."))
    order = analysis.order[model]
    shapes = analysis.shapes[model]
    types = {n.id: n.type for n in design.models[model].nodes}
    left, right = st.columns([1, 2])
    with left:
        n = len(dataset.x_val)
        index = st.number_input(
            "Validation sample", min_value=0, max_value=n - 1, value=0, step=1, key="nb_fm_sample"
        )
        sample = dataset.x_val[int(index)]
        _show_sample(sample, dataset, int(index))
        layers = order[1:] or order
        default = next((i for i, k in enumerate(layers) if len(shapes[k]) == 3), 0)
        node_id = st.selectbox(
            "Layer",
            layers,
            index=default,
            format_func=lambda k: f"{k} · {types.get(k)} · {fmt_shape(shapes[k])}",
            key="nb_fm_layer",
        )
    try:
        with _CAPTURE_LOCK:
            result = capture(design, module, sample, model, class_names=dataset.class_names)
    except (ValueError, RuntimeError) as exc:  # e.g. the data set does not fit the Input
        with right:
            st.caption(md_escape(f"Cannot look inside with this sample: {exc}"))
        return
    with right:
        _show_output(node_id, types.get(node_id), result.outputs[node_id])
        if result.probabilities is not None:
            verdict = prediction_verdict(
                result.predicted, _label_of(dataset, int(index)), dataset.class_names
            )
            if verdict is not None:
                level, text = verdict
                getattr(st, level)(
                    md_escape(text),
                    icon=":material/check:" if level == "success" else ":material/close:",
                )
            with st.container(key="nb_fm_probs"):
                st.plotly_chart(
                    charts.probability_figure(result.probabilities, dataset.class_names),
                    key="nb_fm_probs_chart",
                    config=CHART_CONFIG,
                )


def _label_of(dataset, index: int) -> int | None:
    """The sample's true class, or None (no labels, or not a classification)."""
    if dataset.y_val is None or not dataset.num_classes:
        return None
    return int(dataset.y_val[index])


def prediction_verdict(
    predicted: int | None, label: int | None, class_names: list[str] | None
) -> tuple[str, str] | None:
    """Whether the model got this sample right, in words: ("success" | "warning", text)."""
    if predicted is None or label is None:
        return None
    name = lambda i: str(class_names[i]) if class_names and i < len(class_names) else str(i)  # noqa: E731
    if predicted == label:
        return "success", f"Predicted {name(predicted)}: right (the label is {name(label)})"
    return "warning", f"Predicted {name(predicted)}, but the label is {name(label)}: wrong"


def _show_sample(sample, dataset, index: int) -> None:
    truth = ""
    if dataset.y_val is not None:
        y = dataset.y_val[index]
        truth = (
            f"label {dataset.class_names[int(y)]}"
            if dataset.num_classes
            else f"target {np.asarray(y).reshape(-1)[:4].round(3).tolist()}"
        )
    shape = list(sample.shape)
    with st.container(key="nb_fm_input"):
        if len(shape) == 3 and shape[0] in (1, 3, 4):
            low = float(min(0.0, dataset.x_val.min()))
            st.image(
                image_sample(sample, (low, 1.0), 160), caption=md_escape(f"sample {index}, {truth}")
            )
        elif len(shape) == 2:
            st.plotly_chart(
                charts.sequence_figure(sample, f"Sample {index}, {truth}"),
                key="nb_fm_seq",
                config=CHART_CONFIG,
            )
        else:
            values = ", ".join(f"{v:.3g}" for v in np.asarray(sample).reshape(-1)[:16])
            st.caption(md_escape(f"sample {index}: [{values}] · {truth}"))


def _show_output(node_id: str, kind: str | None, out: np.ndarray) -> None:
    title = f"{node_id} ({kind}) · output {fmt_shape(list(out.shape))}"
    with st.container(key="nb_fm_output"):
        if out.ndim == 3:
            st.image(
                channels_mosaic(out, 480),
                caption=md_escape(f"{title}: {out.shape[0]} channels, each scaled on its own"),
            )
        elif out.ndim == 2:
            st.plotly_chart(
                charts.heatmap_figure(out.T, title, x_title="step", y_title="unit"),
                key="nb_fm_heat2",
                config=CHART_CONFIG,
            )
        else:
            st.plotly_chart(
                charts.heatmap_figure(out.reshape(-1), title),
                key="nb_fm_heat1",
                config=CHART_CONFIG,
            )
