"""netbuilder's library: design files, layer registry, shape inference and the one-path compiler."""

from builder.codegen.model_source import build_model, generate_code
from builder.design.shapes import Analysis, analyze, count_params, infer_shapes
from builder.design.spec import CURRENT_VERSION, Design, Graph, Node, load_design, upgrade
from builder.errors import DesignError, GraphError, Problem
from builder.layers.registry import layer_kinds, validate_param

__all__ = [
    "CURRENT_VERSION",
    "Analysis",
    "Design",
    "DesignError",
    "Explanation",
    "Graph",
    "GraphError",
    "Node",
    "Problem",
    "analyze",
    "build_model",
    "count_params",
    "explain",
    "generate_code",
    "infer_shapes",
    "layer_kinds",
    "load_design",
    "upgrade",
    "validate_param",
]


def __getattr__(name):
    # captum takes seconds to import: only a program that explains pays for it
    if name in ("explain", "Explanation"):
        from builder.introspect import explain as module  # deferred on purpose: captum is slow

        return getattr(module, name)
    raise AttributeError(f"module 'builder' has no attribute {name!r}")
