"""Network builder: page layout and routing only; each area lives in components/."""

import streamlit as st

from components.design_area import render_design_area
from components.export_panel import render_export_area
from components.runs_panel import render_runs_area
from components.train_area import render_train_area

st.set_page_config(page_title="Network builder", page_icon=":material/hub:", layout="wide")

# The page's areas, one tab each: (label, function that renders the area).
# A new area is one import and one line here.
AREAS = [
    ("Design", render_design_area),
    ("Train", render_train_area),
    ("Runs", render_runs_area),
    ("Export", render_export_area),
]

tabs = st.tabs([label for label, _ in AREAS], key="nb_area", on_change="rerun")
for tab, (_, render) in zip(tabs, AREAS, strict=True):
    if tab.open is not False:  # only the open tab's area runs
        with tab:
            render()
