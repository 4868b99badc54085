"""Network builder: page layout and routing only; each area lives in components/."""

from pathlib import Path

import streamlit as st

from builder.runs.store import StoreError
from components.design_area import render_design_area
from components.export_panel import render_export_area
from components.navigation import AREA_KEY
from components.person import require_person
from components.run_session import ready_at_start
from components.runs_panel import render_runs_area
from components.train_area import render_train_area

# The icon is a file the app serves itself: a ":material/…" icon is fetched from a font host,
# and the page must load nothing from outside its own server.
FAVICON = Path(__file__).parent / "components" / "assets" / "favicon.png"
st.set_page_config(page_title="Network builder", page_icon=str(FAVICON), layout="wide")
# Narrow side margins (the top one clears the header): the canvas gets the window.
st.html(
    "<style>.stMainBlockContainer{padding:3.75rem 1.5rem 1rem}</style>",
)

if not require_person():  # the browser's key, or signing in, reruns the page
    st.stop()
ready_at_start()  # the server's first page has a training process started for the first run

# The page's areas, one shown at a time: (label, function that renders the area).
# A new area is one import and one line here.
AREAS = [
    ("Design", render_design_area),
    ("Train", render_train_area),
    ("Runs", render_runs_area),
    ("Export", render_export_area),
]

# A segmented control, not st.tabs: only the chosen area runs, and the live view's redraws,
# twice a second while training, cost Chromium 0.38-0.44 core here, 0.47-0.59 inside a tab
# (a fragment rerun re-renders the tab bar around it), CPU the training process needs.
area = st.segmented_control(
    "Area",
    [label for label, _ in AREAS],
    default=AREAS[0][0],
    required=True,
    key=AREA_KEY,
    label_visibility="collapsed",
)
try:
    dict(AREAS)[area]()
except StoreError as exc:  # an unusable workspace folder: say so, never a traceback
    st.error(f"The run history cannot be used: {exc}. Designs still autosave where they can.")
