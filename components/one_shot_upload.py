"""A file uploader that hands each file over once, then clears itself for the next one.

Streamlit keeps an uploaded file in its widget until the widget goes away; a new key after each
file makes a fresh, empty uploader, and a callback from the old one arriving late is ignored.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st


def _current_key(name: str) -> str:
    return f"nb_{name}_{st.session_state.get(f'nb_{name}_gen', 0)}"


def _hand_over(name: str, key: str, on_file: Callable[[str, bytes], None]) -> None:
    uploaded = st.session_state.get(key)
    if uploaded is None or key != _current_key(name):  # a cleared uploader calling back late
        return
    try:
        on_file(uploaded.name, uploaded.getvalue())
    finally:
        st.session_state[f"nb_{name}_gen"] = st.session_state.get(f"nb_{name}_gen", 0) + 1


def one_shot_uploader(
    label: str,
    *,
    name: str,
    types: list[str],
    on_file: Callable[[str, bytes], None],
    help: str | None = None,
) -> None:
    """An uploader (keys "nb_<name>_<n>") that calls `on_file(file name, bytes)` once a file."""
    key = _current_key(name)
    st.file_uploader(
        label, type=types, key=key, on_change=_hand_over, args=(name, key, on_file), help=help
    )
