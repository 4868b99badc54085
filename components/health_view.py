"""The Train area's Health view of the watched run: its alerts with their fix buttons, gradient
norms and update-to-weight ratios per layer, and a heat strip of each node's outputs over the
steps; and the health marks the canvas puts on each node. Everything is read from the run store,
so a finished or old run shows what it recorded."""

from __future__ import annotations

import streamlit as st

from builder.design.fixes import alert_fixes
from builder.introspect.health_alerts import Alert, classes_of, find_alerts, node_marks
from components import design_state as ds
from components import health_charts
from components import run_session as rs
from components.problems_panel import apply
from components.ui_text import md_escape

REFRESH_S = 2.0
CHART_CONFIG = {"displayModeBar": False}
STRIP_COLUMNS = 3


def run_health(run_id: int | None) -> tuple[list[dict], list[Alert]]:
    """The run's health records and the alerts they raise (none without a run)."""
    if run_id is None:
        return [], []
    store = rs.store()
    records = store.health(run_id)
    if not records:
        return [], []
    epochs = store.metrics(run_id)
    return records, find_alerts(records, epochs, classes_of(None, epochs))


def health_marks(run_id: int | None) -> dict[str, dict] | None:
    """Node id -> {"level", "messages"} for the canvas: fine for every node the run recorded,
    warning or problem with the words of its alerts; None when the run recorded nothing."""
    records, alerts = run_health(run_id)
    if not records:
        return None
    marks = {
        node: {"level": "fine", "messages": []}
        for record in health_charts.statistics(records)
        for node in record["nodes"]
    }
    marks.update(node_marks(alerts))
    return marks


def render_health(run_id: int | None) -> None:
    """The Health view: the alerts (their fixes change the design, so they live outside the
    timer), then the charts, redrawn every REFRESH_S seconds while the run trains."""
    if run_id is None:
        st.caption("No run yet: train the design to see how each layer fares.")
        return
    _, alerts = run_health(run_id)
    with st.container(key="nb_health_alerts"):
        for i, alert in enumerate(alerts):
            _render_alert(alert, i)
    every = REFRESH_S if rs.is_active(run_id) else None
    st.fragment(run_every=every)(_charts)(run_id)


def _charts(run_id: int) -> None:
    records, alerts = run_health(run_id)
    if not records:
        st.caption(
            "This run recorded no health statistics (it ran with --no-health, is a GAN, "
            "or has not reached its first recorded step)."
        )
        return
    if not alerts:
        st.success("No alerts: gradients, activations and the loss look healthy.")
    left, right = st.columns(2)
    left.plotly_chart(
        health_charts.gradient_norms(records), key="nb_health_grads", config=CHART_CONFIG
    )
    right.plotly_chart(
        health_charts.update_ratios(records), key="nb_health_updates", config=CHART_CONFIG
    )
    nodes = list(dict.fromkeys(n for r in health_charts.statistics(records) for n in r["nodes"]))
    with st.container(key="nb_health_strips"):
        columns = st.columns(STRIP_COLUMNS)
        for i, node in enumerate(nodes):
            columns[i % STRIP_COLUMNS].plotly_chart(
                health_charts.histogram_strip(records, node),
                key=f"nb_health_strip_{i}",
                config=CHART_CONFIG,
            )


def _render_alert(alert: Alert, index: int) -> None:
    text = md_escape(f"{alert.kind} at {alert.node} (epoch {alert.epoch}): {alert.message}")
    show = st.error if alert.severity == "problem" else st.warning
    show(text)
    design = ds.current_design()
    graph = design.models.get("model")
    if graph is None or graph.node(alert.node) is None:
        return  # the design has changed since: its fixes would not be about this node
    for fix in alert_fixes(design, alert):
        st.button(
            md_escape(fix.label),
            key=f"nb_health_fix_{index}_{fix.id}",
            on_click=apply,
            args=(fix.id,),
            icon=":material/build:",
        )
