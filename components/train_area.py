"""The Train area: settings on the left; buttons, progress and live charts on the right (one
fragment on a timer: pressing Train, Pause or Stop reruns only that part); then feature maps,
explanations and the model summary."""

from __future__ import annotations

import streamlit as st

from components import design_state as ds
from components import run_session as rs
from components.explain_view import render_explanations
from components.feature_maps import render_feature_maps
from components.live_view import render_live
from components.model_summary import render_model_summary
from components.problems_panel import fill_from_the_data
from components.train_controls import render_training_controls
from components.ui_text import md_escape


def render_train_area() -> None:
    fill_from_the_data()  # a data set picked here may size an Embedding left empty
    design = ds.current_design()
    for level, text in ds.pop_notices():
        getattr(st, level)(md_escape(text))
    run_id = rs.watched(ds.design_id())
    settings, live = st.columns([1, 2.2], gap="large")
    with settings:
        st.subheader("Settings", anchor=False)
        problems = render_training_controls(design)
    with live:
        render_live(problems, design.task)
    if not rs.is_active(run_id):
        rs.get_ready()
    # Opening it reruns the page, so it shows the newest weights of a run started since.
    with st.expander(
        "Feature maps", icon=":material/grid_view:", key="nb_fm_open", on_change="rerun"
    ):
        render_feature_maps(run_id, design)
    with st.expander(
        "Why did it say that?", icon=":material/lightbulb:", key="nb_ex_open", on_change="rerun"
    ):
        render_explanations(run_id, design)
    with st.expander("Model summary", icon=":material/table_rows:"):
        render_model_summary(design, ds.current_analysis())
