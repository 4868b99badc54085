"""When another tab or window saved the open design first: say so, and let the person choose.

The page's edit is never written over the other one, and never thrown away unasked: it stays
on the page, unsaved, until the person opens the newer version or keeps theirs as a copy.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from builder.people.designs import MAX_NAME
from components import design_state as ds


def _open_newer() -> None:
    if ds.open_document(ds.design_id()):
        ds.notify("success", "Opened the newer version; your unsaved changes were left out.")


def _save_as_copy() -> None:
    design = ds.current_design()
    copy = replace(design, name=f"{design.name} (copy)"[:MAX_NAME])
    if ds.replace_design(copy) is not None:
        ds.notify(
            "success", f"Saved your version as “{copy.name}”; the other one is kept as it was."
        )


def render_stale_design() -> None:
    """A warning with the two ways out, while the open design's autosave is refused."""
    stale = ds.conflict()
    if stale is None:
        return
    with st.container(key="nb_stale_design"):
        if stale.revision is None:
            st.warning(
                "This design was deleted in another tab or window, so your latest changes are "
                "not saved. Keep them as a copy.",
                icon=":material/sync_problem:",
            )
        else:
            st.warning(
                "This design was changed in another tab or window, so your latest changes are "
                "not saved (nothing was overwritten). Open the newer version, or keep yours as a "
                "copy.",
                icon=":material/sync_problem:",
            )
        with st.container(horizontal=True):
            if stale.revision is not None:
                st.button(
                    "Open the newer version",
                    key="nb_stale_open_newer",
                    on_click=_open_newer,
                    icon=":material/refresh:",
                )
            st.button(
                "Save mine as a copy",
                key="nb_stale_save_copy",
                on_click=_save_as_copy,
                icon=":material/content_copy:",
                type="primary",
            )
