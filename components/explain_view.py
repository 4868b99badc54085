"""Why did it say that? One validation sample (the misclassified ones first) or typed text,
explained on the trained weights the feature maps use: the class probabilities, the attribution
over the input, Grad-CAM over the image, and every attention node's maps per head."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from builder import DesignError, analyze, load_design
from builder.data.check import data_model
from builder.data.loading import text_options
from builder.introspect.attention import attention_nodes
from builder.introspect.baselines import BASELINES
from builder.introspect.pad import pad_to_input
from builder.introspect.samples import encode_text, input_shape, misclassified_first, token_pieces
from builder.introspect.trained import trained_models
from components import charts
from components import run_session as rs
from components.data_picker import load_for
from components.draw_pad import draw_pad
from components.failures import scrubbed
from components.feature_maps import CHART_CONFIG, source_for
from components.heat import heat_over_image, tokens_html
from components.ui_text import md_escape

METHOD_NAMES = {
    "saliency": "Saliency (|gradient|)",
    "integrated_gradients": "Integrated Gradients",
    "grad_cam": "Grad-CAM",
}
log = logging.getLogger("netbuilder.page")
MAX_SORTED = 2000  # samples predicted to sort the misclassified first (the rest keep data order)


@st.cache_data(max_entries=4, show_spinner=False)
def _predictions(design_json: str, weights: str | None, stamp: float, x_val: np.ndarray):
    model = trained_models(load_design(design_json), weights)["model"]
    x = torch.as_tensor(x_val[:MAX_SORTED])
    x = x.long() if model.INPUT_TOKENS else x.float()
    with torch.no_grad():
        out = torch.cat([model(part) for part in x.split(256)])
    out = out.reshape(len(out), -1)
    return (out[:, 0] > 0).long().numpy() if out.shape[1] == 1 else out.argmax(1).numpy()


def render_explanations(run_id: int | None, design) -> None:
    st.fragment(_guarded)(run_id, design)


def _guarded(run_id: int | None, current) -> None:
    """The view, with any fault it meets shown as a message (the story goes to the log)."""
    try:
        _body(run_id, current)
    except Exception as exc:  # a fault in this view must not take the Train area with it
        log.exception("explaining a prediction failed")
        st.warning(md_escape(f"Could not explain this model: {scrubbed(str(exc))}"))


def _body(run_id: int | None, current) -> None:
    run = rs.store().get_run(run_id) if run_id is not None else None
    design, weights, label = source_for(run, current, rs.is_active(run_id))
    if design.is_gan:
        st.caption(
            "A GAN's generator turns random noise into samples: no input holds evidence for a "
            "decision, so there is nothing to explain here."
        )
        return
    if data_model(design) != "model" or not analyze(design).ok:
        st.caption("Fix the design's problems to explain its predictions.")
        return
    dataset, error = load_for(design)
    if dataset is None:
        st.caption(md_escape(f"No samples to explain: {error}"))
        return
    expected = input_shape(design)
    if expected is not None and list(dataset.x_val.shape[1:]) != [int(d) for d in expected]:
        st.caption(
            md_escape(
                f"No samples to explain: the data's samples are shaped "
                f"{list(dataset.x_val.shape[1:])}, but the Input expects {list(expected)}."
            )
        )
        return
    st.caption(md_escape(f"Explaining with: {label}."))
    stamp = Path(weights).stat().st_mtime if weights else 0.0
    left, right = st.columns([1, 2])
    with left:
        sample, pieces, truth = _pick_sample(design, dataset, weights, stamp)
        method, baseline, node = _pick_method(design)
    if sample is None:
        return
    from builder.introspect.explain import explain  # deferred on purpose: captum takes seconds

    try:
        result = explain(
            design, weights, sample=sample, data=dataset, method=method, node=node,
            baseline=baseline,
        )  # fmt: skip
    except DesignError as exc:
        with right:
            st.warning(md_escape(str(exc)))
        return
    with right:
        _show_result(design, dataset, sample, pieces, truth, result)


def _pick_sample(design, dataset, weights, stamp):
    """(sample, its tokens or None, the caption of its true label)."""
    tokens = dataset.vocab is not None
    if tokens:
        typed = st.text_area("Type text (or leave empty for a validation sample)",
                             key="nb_ex_text", max_chars=4000)  # fmt: skip
        if typed.strip():
            shape = input_shape(design) or [1]
            tokenizer, _ = text_options((design.training or {}).get("text"))
            try:
                ids, pieces = encode_text(typed, dataset, tokenizer, int(shape[0]), design.task)
            except DesignError as exc:
                st.warning(md_escape(str(exc)))
                return None, None, ""
            return ids, pieces, "typed text"
    if (
        _pad_applies(design)
        and st.radio(
            "Input", ["A validation sample", "Draw one"], horizontal=True, key="nb_ex_source"
        )
        == "Draw one"
    ):
        return _drawn_sample(design)
    order = np.arange(len(dataset.x_val))
    predicted = None
    if design.task == "classification" and dataset.y_val is not None:
        predicted = _predictions(design.to_json(), weights, stamp, dataset.x_val)
        order = misclassified_first(dataset.y_val, predicted)
    names = dataset.class_names or []

    def shown(i: int) -> str:
        if predicted is None or i >= len(predicted):
            return f"sample {i}"
        truth, guess = int(dataset.y_val[i]), int(predicted[i])
        mark = "✓" if truth == guess else "✗"
        return f"{mark} sample {i}: {_name(names, truth)} → {_name(names, guess)}"

    if predicted is not None:
        order = _confusion_cell(order, dataset.y_val, predicted, names)
    index = int(st.selectbox("Validation sample (misclassified first)", order.tolist(),
                             format_func=shown, key="nb_ex_sample"))  # fmt: skip
    sample = dataset.x_val[index]
    truth = ""
    if dataset.y_val is not None and dataset.num_classes:
        truth = f"label {_name(names, int(dataset.y_val[index]))}"
    pieces = token_pieces(sample, dataset) if tokens else None
    return sample, pieces, truth


def _confusion_cell(order: np.ndarray, truth, predicted, names) -> np.ndarray:
    """`order` kept to the samples of one cell of the confusion matrix the person picks (every
    cell that holds a sample, mistakes first, largest first), or all of them."""
    n = min(len(truth), len(predicted))
    pairs = np.stack([np.asarray(truth[:n]).astype(np.int64), predicted[:n].astype(np.int64)], 1)
    cells, counts = np.unique(pairs, axis=0, return_counts=True)
    ranked = sorted(zip(map(tuple, cells.tolist()), counts.tolist(), strict=True),
                    key=lambda c: (c[0][0] == c[0][1], -c[1]))  # fmt: skip
    options = [None] + [cell for cell, _ in ranked]
    sizes = dict(ranked)

    def named(cell) -> str:
        if cell is None:
            return "Every cell"
        true, guess = cell
        return f"label {_name(names, true)} → predicted {_name(names, guess)} ({sizes[cell]})"

    cell = st.selectbox("Confusion-matrix cell", options, format_func=named, key="nb_ex_cell")
    if cell is None:
        return order
    kept = order[order < n]
    return kept[(pairs[kept, 0] == cell[0]) & (pairs[kept, 1] == cell[1])]


def _pad_applies(design) -> bool:
    dataset = (design.training or {}).get("dataset")
    image_zip = isinstance(dataset, dict) and dataset.get("type") == "images"
    return (dataset == "digits" or image_zip) and len(input_shape(design) or []) == 3


def _drawn_sample(design):
    ink = draw_pad(key="nb_ex_pad")
    if ink is None:
        st.caption("Draw on the pad; the model answers after each stroke.")
        return None, None, ""
    try:
        return pad_to_input(ink, design), None, "drawn"
    except DesignError as exc:
        st.warning(md_escape(str(exc)))
        return None, None, ""


def _name(names, i: int) -> str:
    return str(names[i]) if 0 <= i < len(names) else str(i)


def _pick_method(design):
    types = {n.id: n.type for n in design.models["model"].nodes}
    convs = [n for n, kind in types.items() if kind.startswith("Conv")]
    methods = ["saliency", "integrated_gradients"]
    if convs and design.task == "classification":
        methods.append("grad_cam")
    method = st.radio("Method", methods, format_func=METHOD_NAMES.get, key="nb_ex_method")
    if not convs:
        st.caption("Grad-CAM: this model has no convolution node.")
    elif design.task != "classification":
        st.caption(f"Grad-CAM weighs a class's evidence; a {design.task} model has no class.")
    baseline, node = "zeros", None
    if method == "integrated_gradients" and "Embedding" not in types.values():
        baseline = st.selectbox("Baseline", BASELINES, key="nb_ex_baseline")
    if method == "grad_cam":
        node = st.selectbox("Convolution node", convs, index=len(convs) - 1, key="nb_ex_node")
    return method, baseline, node


def _show_result(design, dataset, sample, pieces, truth, result) -> None:
    if result.probabilities is not None:
        names = dataset.class_names
        if design.task == "language_model":
            top = np.argsort(result.probabilities)[::-1][:15]
            names = [repr(token_pieces(np.array([i]), dataset)[0]) for i in top]
            figure = charts.probability_figure(result.probabilities[top], names)
            figure["layout"]["title"]["text"] = "Next-token distribution (top 15)"
        else:
            figure = charts.probability_figure(result.probabilities, names)
        with st.container(key="nb_ex_probs"):
            st.plotly_chart(figure, key="nb_ex_probs_chart", config=CHART_CONFIG)
    target = _name(dataset.class_names or [], result.target)
    if design.task == "language_model" and pieces is not None:
        target = repr(token_pieces(np.array([result.target]), dataset)[0])
    heading = f"{METHOD_NAMES[result.method]} for {target}" + (f" ({truth})" if truth else "")
    st.markdown(md_escape(heading))
    if result.delta is not None:
        st.caption(
            md_escape(
                f"Convergence delta {result.delta:+.2e}: the attributions sum to "
                f"f(x) − f(baseline) = {result.difference:.4g} within "
                f"{100 * result.relative_delta:.2f}%."
            )
        )
    with st.container(key="nb_ex_attribution"):
        shape = np.shape(sample)
        if pieces is not None:
            st.html(tokens_html(pieces[: len(result.attribution)], result.attribution))
        elif len(shape) == 3:
            st.image(heat_over_image(sample, result.attribution), caption="red: the evidence")
        else:
            st.plotly_chart(
                charts.heatmap_figure(np.asarray(result.attribution).reshape(shape[0], -1).T
                                      if len(shape) == 2 else result.attribution,
                                      "Attribution per input value"),
                key="nb_ex_heat", config=CHART_CONFIG,
            )  # fmt: skip
    if result.attention:
        _show_attention(design, result.attention)


def _show_attention(design, attention) -> None:
    st.markdown("**Attention** (row: the step that attends; column: the step it looks at)")
    nodes = attention_nodes(design)
    node = st.selectbox("Attention node", nodes, key="nb_ex_att_node")
    maps = attention[node]
    head = st.number_input("Head", 0, maps.shape[0] - 1, 0, key="nb_ex_att_head")
    st.plotly_chart(
        charts.heatmap_figure(maps[int(head)], f"{node}, head {int(head)}", x_title="key step",
                              y_title="query step"),
        key="nb_ex_attention", config=CHART_CONFIG,
    )  # fmt: skip
