"""Presets gallery: every preset `builder.presets` ships, one click each, opened as a new design.

It lives in the toolbar's Presets popover, floating over the canvas; opening a preset closes it.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from builder.design.presets import list_presets, load_preset
from components import design_state as ds
from components.ui_text import md_escape

COLUMNS = 3
PRESETS_POPOVER = "nb_presets_popover"  # the popover's open state


def open_preset(name: str, title: str) -> None:
    # Named as the gallery shows it, so My designs and the Train area say "LeNet on digits".
    ds.replace_design(replace(load_preset(name), name=title))
    st.session_state[PRESETS_POPOVER] = False  # also when it was open already (no new revision)
    ds.notify(
        "success", f"Opened the preset “{title}”. Your previous design is kept in My designs."
    )


def render_presets() -> None:
    presets = list_presets()
    st.markdown("**Start from a preset**")
    columns = st.columns(COLUMNS)
    for i, preset in enumerate(presets):
        with columns[i % COLUMNS].container(border=True, width=250):
            st.markdown(f"**{md_escape(preset['title'])}**")
            st.caption(md_escape(preset["description"]))
            st.button(
                "Open",
                key=f"nb_preset_{preset['name']}",
                on_click=open_preset,
                args=(preset["name"], preset["title"]),
            )
