"""Model summary: node, type, output shape and parameters of every node, with the total."""

from __future__ import annotations

import streamlit as st

from builder import Analysis, Design
from builder.design.settings import resolved_training
from builder.introspect.flops import FLOP_MEANING, design_flops, fmt_flops
from builder.layers.registry import fmt_shape


def summary_rows(design: Design, analysis: Analysis) -> list[dict]:
    """One row per node in evaluation order (the model named too, for a GAN)."""
    flops = design_flops(design, analysis)
    rows = []
    for model, graph in design.models.items():
        types = {n.id: n.type for n in graph.nodes}
        order = analysis.order.get(model) or [n.id for n in graph.nodes]
        for node_id in order:
            shape = analysis.shapes.get(model, {}).get(node_id)
            row = {"model": model} if design.is_gan else {}
            row.update(
                {
                    "node": node_id,
                    "type": types.get(node_id, "?"),
                    "output shape": fmt_shape(shape) if shape is not None else "?",
                    "params": int(analysis.params.get(model, {}).get(node_id, 0)),
                    "KiB per sample": round(
                        analysis.memory.get(model, {}).get(node_id, 0) / 1024, 1
                    ),
                    "forward FLOPs": int(flops.nodes.get(model, {}).get(node_id, 0)),
                }
            )
            rows.append(row)
    return rows


def render_model_summary(design: Design, analysis: Analysis) -> None:
    rows = summary_rows(design, analysis)
    if not rows:
        st.caption("The design has no layers yet.")
        return
    with st.container(key="nb_model_summary"):
        st.dataframe(
            rows,
            hide_index=True,
            column_config={
                "params": st.column_config.NumberColumn(format="localized"),
                "forward FLOPs": st.column_config.NumberColumn(format="localized"),
            },
        )
        st.markdown(
            f"**Total: {analysis.total_params:,} trainable parameters**; activations "
            f"{analysis.sample_bytes / 2**20:,.2f} MiB per sample"
        )
        flops = design_flops(design, analysis)
        batch = int(resolved_training(dict(design.training or {}))["batch_size"])
        st.markdown(
            f"**Forward pass: {fmt_flops(flops.total)} per sample**; one training step "
            f"(batch {batch}, forward and backward): about {fmt_flops(flops.training_step(batch))}"
        )
        st.caption(FLOP_MEANING)
        if analysis.problems:
            st.caption("Shapes marked ? depend on problems shown under Design.")
