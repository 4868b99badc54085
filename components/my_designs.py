"""My designs: open, rename, duplicate, delete (with a way back), and Copy link (a read-only
snapshot of the open design whose opener gets their own copy), in one toolbar popover."""

from __future__ import annotations

import time

import streamlit as st

from builder.people.designs import DocumentError
from builder.people.shares import share
from builder.runs.workspace import workspace_dir
from components import design_state as ds
from components.ui_text import md_escape

SHOWN = 12  # most recent first; the search box finds the others
CONFIRM = "nb_confirm_delete"
SEARCH = "nb_designs_search"
MY_DESIGNS_POPOVER = "nb_my_designs"
LINK = "nb_share_link"  # (design id, design the link was made of, link)


def _ago(stamp: float) -> str:
    seconds = max(0, int(time.time() - stamp))
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def _open(design_id: str) -> None:
    if ds.open_document(design_id):
        st.session_state.pop(CONFIRM, None)


def _new() -> None:
    ds.new_design()
    ds.notify("success", "A new empty design; your previous one is kept in My designs.")


def _duplicate(design_id: str) -> None:
    try:
        copy = ds.library().duplicate(design_id)
    except (DocumentError, OSError) as exc:
        ds.notify("error", f"Could not duplicate the design: {exc}")
        return
    ds.open_document(copy)
    ds.notify("success", "Opened a copy of the design.")


def _rename(design_id: str, key: str) -> None:
    name = str(st.session_state.get(key) or "")
    try:
        if design_id == ds.design_id():
            ds.rename_open(name)
        else:
            ds.library().rename(design_id, name)
    except (DocumentError, OSError) as exc:
        ds.notify("error", f"Could not rename the design: {exc}")


def _delete(design_id: str) -> None:
    st.session_state.pop(CONFIRM, None)
    try:
        ds.delete_document(design_id)
    except (DocumentError, OSError) as exc:
        ds.notify("error", f"Could not delete the design: {exc}")
        return
    ds.notify("success", "Deleted. Recently deleted in My designs brings it back.")


def _restore(design_id: str) -> None:
    try:
        ds.library().restore(design_id)
    except (DocumentError, OSError) as exc:
        ds.notify("error", f"Could not restore the design: {exc}")
        return
    ds.open_document(design_id)
    ds.notify("success", "Restored the design.")


def _row(card: dict, open_id: str) -> None:
    design_id = card["id"]
    with st.container(horizontal=True, vertical_alignment="bottom", key=f"nb_doc_{design_id}"):
        key = f"nb_doc_name_{design_id}_{card['updated']}"
        st.text_input(
            "Name",
            value=card["name"],
            key=key,
            on_change=_rename,
            args=(design_id, key),
            label_visibility="collapsed",
            help=f"Edited {_ago(card['updated'])}",
        )
        if design_id == open_id:
            st.button("Open now", key=f"nb_doc_open_{design_id}", disabled=True)
        else:
            st.button("Open", key=f"nb_doc_open_{design_id}", on_click=_open, args=(design_id,))
        st.button(
            "Duplicate",
            key=f"nb_doc_dup_{design_id}",
            on_click=_duplicate,
            args=(design_id,),
            icon=":material/content_copy:",
        )
        st.button(
            "Delete",
            key=f"nb_doc_del_{design_id}",
            on_click=lambda: st.session_state.__setitem__(CONFIRM, design_id),
            icon=":material/delete:",
        )
    if st.session_state.get(CONFIRM) == design_id:
        with st.container(horizontal=True, key=f"nb_doc_confirm_{design_id}"):
            st.warning(md_escape(f"Delete “{card['name']}”? Recently deleted keeps it."))
            st.button(
                "Yes, delete",
                key=f"nb_doc_yes_{design_id}",
                type="primary",
                on_click=_delete,
                args=(design_id,),
            )
            st.button(
                "Keep it",
                key=f"nb_doc_no_{design_id}",
                on_click=st.session_state.pop,
                args=(CONFIRM, None),
            )


def render_my_designs() -> None:
    """The popover that lists the person's designs, newest edit first."""
    with st.popover(
        "My designs", icon=":material/stacks:", key=MY_DESIGNS_POPOVER, on_change="rerun"
    ):
        with st.container(horizontal=True):
            st.button("New design", icon=":material/add:", key="nb_new_design", on_click=_new)
            st.button(
                "Copy link",
                icon=":material/link:",
                key="nb_make_link",
                on_click=_make_link,
                help="A read-only link to this design as it is now. Whoever opens it gets their "
                "own copy to edit; it shows nothing else of yours.",
            )
        _render_link()
        lib = ds.library()
        cards = lib.list()
        open_id = ds.design_id()
        if len(cards) > SHOWN:
            st.text_input("Find a design", key=SEARCH, placeholder="part of its name")
        text = str(st.session_state.get(SEARCH) or "").strip().lower()
        found = [c for c in cards if text in c["name"].lower()] if text else cards
        for card in found[:SHOWN]:
            _row(card, open_id)
        if len(found) > SHOWN:
            st.caption(f"… and {len(found) - SHOWN} more: type part of a name to find one")
        trash = lib.deleted()
        if trash:
            with st.expander(f"Recently deleted ({len(trash)})"):
                for card in trash[:SHOWN]:
                    with st.container(horizontal=True, vertical_alignment="center"):
                        st.markdown(md_escape(f"{card['name']} · deleted {_ago(card['deleted'])}"))
                        st.button(
                            "Restore",
                            key=f"nb_doc_restore_{card['id']}",
                            on_click=_restore,
                            args=(card["id"],),
                            icon=":material/restore_from_trash:",
                        )


def _base_url() -> str:
    url = st.context.url or ""
    return url.split("?", 1)[0].rstrip("/") + "/"


def _make_link() -> None:
    design = ds.current_design()
    try:
        token = share(workspace_dir(), design)
    except OSError as exc:
        ds.notify("error", f"Could not make the link: {exc.strerror or exc}")
        return
    st.session_state[LINK] = (ds.design_id(), design, f"{_base_url()}?shared={token}")
    st.toast(f"Link made for “{design.name}”: copy it from the box in My designs.", icon="🔗")


def _render_link() -> None:
    made = st.session_state.get(LINK)
    if made and made[0] == ds.design_id():
        st.code(made[2], language=None)
        if made[1] != ds.current_design():
            st.caption("The design changed since: copy a new link to share the changes.")
        else:
            st.success(
                md_escape(
                    f"Link made for “{made[1].name}” as it is now: copy it with the icon at the"
                    " box's right. Whoever opens it gets their own copy."
                ),
                icon=":material/link:",
            )
