"""The problems the Design area shows, their one-click fixes, and the toolbar's problems list.

Problems are the design's own (lint and shapes) and, once the graph is sound, the data set's
against it (the Input's shape, the output's size), so a fix for either is one click away here
rather than a refusal on Train. A fix is committed like any other edit: one undo step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st

from builder import Analysis, Design, Problem
from builder.data import check_dataset
from builder.data.uploads import uploads_dir
from builder.design.data_fixes import fill_from_data
from builder.design.fixes import Fix, apply_fix, find_fixes
from components import design_state as ds
from components import person
from components.data_picker import load_for
from components.ui_text import md_escape

POPOVER = "nb_problems_popover"
SHOWN = 12
CHECKED = 64  # designs whose problems and fixes the server keeps


@dataclass
class Checked:
    """What the Design area shows about the current design."""

    analysis: Analysis  # the design's analysis, with the data set's problems added
    fixes: list[Fix]
    context: dict  # what the fixes were found with (data shape, class count)


def _data_context(design: Design, analysis: Analysis) -> tuple[dict, list[Problem]]:
    """The data set's sample shape and class count, and its problems with a sound design."""
    if design.is_gan:
        return {}, []
    dataset, _reason = load_for(design)  # unreadable data: the Train area says why
    if dataset is None:
        return {}, []
    context = {
        "input_shape": list(dataset.sample_shape),
        "num_classes": dataset.num_classes,
        "vocab_size": len(dataset.vocab) if dataset.vocab else None,
    }
    if analysis.problems:
        return context, []
    try:
        return context, check_dataset(dataset, design, analysis.shapes)
    except Exception as exc:  # a bug must not put a traceback on the page
        return context, [Problem(f"could not check the data set against the design: {exc}")]


def _left_empty(design: Design) -> bool:
    return any(
        n.type == "Embedding" and "num_embeddings" not in n.params
        for graph in design.models.values()
        for n in graph.nodes
    )


def fill_from_the_data() -> None:
    """An Embedding whose num_embeddings was left empty takes the data's vocabulary, as one
    edit of the design (undoable, and written in the design file like any other)."""
    design = ds.current_design()
    if not _left_empty(design):  # the usual case: no data set is read for it
        return
    dataset, _reason = load_for(design)
    vocab = len(dataset.vocab) if dataset is not None and dataset.vocab else None
    filled, ids = fill_from_data(design, vocab)
    if ids:
        ds.commit(filled, reset=True)
        names = ", ".join(ids)
        ds.notify("info", f"{names}: num_embeddings set to the data's vocabulary ({vocab} tokens)")


@st.cache_resource(max_entries=CHECKED, show_spinner=False, hash_funcs={Design: ds.design_key})
def _checked(uploads: str, design: Design) -> Checked:
    # `uploads` (the person's) keys the data set the design names; the design keys the rest.
    analysis = ds.analysis_of(design)
    context, data_problems = _data_context(design, analysis)
    shown = replace(analysis, problems=[*analysis.problems, *data_problems])
    return Checked(shown, find_fixes(design, shown, **context), context)


def checked(design: Design) -> Checked:
    """The design's problems (its own and its data set's) and their fixes."""
    return _checked(str(uploads_dir(person.folder())), design)


def apply(fix_id: str) -> None:
    """Apply a fix to the current design (found anew: a stale button changes nothing)."""
    design = ds.current_design()
    context = checked(design).context
    fixed = apply_fix(design, fix_id, **context)
    if fixed is None:
        ds.notify("warning", "That fix no longer applies to the design; nothing was changed.")
        return
    ds.commit(fixed, reset=True)  # a new revision: the toolbar closes its popovers


def _is_empty(design: Design) -> bool:
    return not any(graph.nodes for graph in design.models.values())


def _label(shown: Analysis, empty: bool = False) -> tuple[str, str]:
    if empty:  # a new page: a start, not a problem
        return "Start here", ":material/lightbulb:"
    count = len(shown.problems)
    if not count:
        return "No problems", ":material/check_circle:"  # short: the toolbar stays one row
    return f"{count} problem{'s' if count != 1 else ''}", ":material/error:"


def render_problems(state: Checked) -> None:
    """The toolbar's problems count; it opens the list, each problem with its fix buttons."""
    shown = state.analysis
    empty = _is_empty(ds.current_design())
    label, icon = _label(shown, empty)
    by_node: dict[tuple, list[Fix]] = {}
    for fix in state.fixes:
        by_node.setdefault((fix.model, fix.node_id), []).append(fix)
    with st.popover(label, icon=icon, key=POPOVER, on_change="rerun"):
        if not shown.problems:
            st.success(f"The design checks out: {shown.total_params:,} trainable parameters.")
            return
        offered: set[str] = set()
        if empty:
            st.markdown(
                "An empty design. Drag an **Input** from the palette onto the canvas, open a"
                " preset, or start with the Input the data set needs:"
            )
        for i, problem in enumerate(shown.problems[:SHOWN]):
            if not empty:
                st.markdown(f"{i + 1}. {md_escape(str(problem))}")
            for fix in by_node.get((problem.model, problem.node_id), []):
                if fix.id in offered:
                    continue
                offered.add(fix.id)
                st.button(
                    md_escape(fix.label),  # it names nodes: user text, shown as written
                    key=f"nb_fix_{fix.id}",
                    on_click=apply,
                    args=(fix.id,),
                    icon=":material/build:",
                )
        if len(shown.problems) > SHOWN:
            st.caption(f"… and {len(shown.problems) - SHOWN} more")
