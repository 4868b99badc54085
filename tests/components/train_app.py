"""The Train area alone, as an AppTest script: the design named in session state `design` is
opened once (as the page opens a document), then the area is drawn as the app draws it."""

from __future__ import annotations


def train_page():
    import streamlit as st

    from builder import load_design
    from components import design_state as ds
    from components.train_area import render_train_area

    if "seeded" not in st.session_state:
        st.session_state.seeded = True
        ds.replace_design(load_design(st.session_state["design"]))
    render_train_area()
