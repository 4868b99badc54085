"""Which area of the page (Design, Train, Runs, Export) is shown, and moving to another."""

from __future__ import annotations

import streamlit as st

AREA_KEY = "nb_area"


def go_to(area: str) -> None:
    """Show `area` on the next run; call from a widget's callback (before the picker is drawn)."""
    st.session_state[AREA_KEY] = area
