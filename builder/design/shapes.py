"""Shape inference and parameter counts, pinned per node; nothing is allocated."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from builder.design.lint import lint_graph
from builder.design.spec import declaration_problems, load_design
from builder.errors import GraphError, Problem, ShapeError
from builder.layers.registry import fmt_shape, get_kind
from builder.limits import MB, EnvLimit

DEFAULT_PARAM_LIMIT = 100_000_000
# Activations of one sample (float32, every node's output): what a forward pass of the page and
# each sample of a training batch cost.
SAMPLE_MEMORY = EnvLimit("NETBUILDER_MAX_SAMPLE_MB", 256.0, "megabytes", scale=MB)
BYTES_PER_VALUE = 4

# A training batch's activations and their gradients.
BATCH_MEMORY = EnvLimit("NETBUILDER_MAX_BATCH_MB", 4096.0, "megabytes", scale=MB)
TRAINING_FACTOR = 3  # forward activations, their gradients, and the framework's working copies


def batch_memory_limit() -> int:
    return BATCH_MEMORY.read()


def batch_memory_problem(result: Analysis, batch_size: int, limit: int | None = None):
    """Why training batches of `batch_size` would take too much memory, or None."""
    limit = batch_memory_limit() if limit is None else limit
    need = result.sample_bytes * TRAINING_FACTOR * int(batch_size)
    if need <= limit:
        return None
    fits = max(1, limit // max(1, result.sample_bytes * TRAINING_FACTOR))
    return Problem(
        f"training.batch_size: batches of {batch_size:,} need about {need / 2**30:,.1f} GiB for "
        f"activations and gradients, over the limit of {limit / 2**30:,.1f} GiB",
        fix=f"lower the batch size to {fits:,} or less, or make the model's activations smaller",
    )


def sample_memory_limit() -> int:
    return SAMPLE_MEMORY.read()


@dataclass
class Analysis:
    """What the canvas shows after every edit: partial shapes and counts, and every problem."""

    shapes: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    params: dict[str, dict[str, int]] = field(default_factory=dict)
    memory: dict[str, dict[str, int]] = field(default_factory=dict)  # bytes per sample, per node
    order: dict[str, list[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def total_params(self) -> int:
        return sum(sum(counts.values()) for counts in self.params.values())

    @property
    def sample_bytes(self) -> int:
        """Bytes of activations one sample takes through every model."""
        return sum(sum(nodes.values()) for nodes in self.memory.values())

    @property
    def ok(self) -> bool:
        return not self.problems


def analyze(design, param_limit: int | None = None, memory_limit: int | None = None) -> Analysis:
    """Lint and infer every model of the design; never raises for problems in the graph.

    Refuses (as a problem pinned to the node that crosses it) more parameters than `param_limit`
    and more bytes of activations per sample than `memory_limit`, before anything is allocated.
    """
    design = load_design(design)
    result = Analysis()
    for model, graph in design.models.items():
        problems, order = lint_graph(model, graph)
        for node in graph.nodes:
            problems.extend(declaration_problems(model, node))
        shapes, counts = _infer(model, graph, order, problems)
        result.shapes[model] = {k: list(v) for k, v in shapes.items()}
        result.params[model] = counts
        result.memory[model] = {
            n: math.prod(shape) * BYTES_PER_VALUE for n, shape in result.shapes[model].items()
        }
        result.order[model] = order
        result.problems.extend(problems)
    if design.is_gan and not result.problems:
        result.problems.extend(gan_contract_problems(design, result.shapes))
    limit = DEFAULT_PARAM_LIMIT if param_limit is None else param_limit
    if result.total_params > limit:
        model, node_id = max(
            ((m, n) for m, counts in result.params.items() for n in counts),
            key=lambda mn: result.params[mn[0]][mn[1]],
        )
        result.problems.append(
            Problem(
                f"the design has {result.total_params:,} parameters, over the limit of {limit:,}; "
                f"this node alone has {result.params[model][node_id]:,}",
                node_id,
                model,
                design.models[model].node(node_id).type,
                "make layers smaller, or pool/stride before dense layers",
            )
        )
    if not result.problems:
        result.problems.extend(_memory_problems(design, result, memory_limit))
    return result


def _memory_problems(design, result: Analysis, limit: int | None) -> list[Problem]:
    limit = sample_memory_limit() if limit is None else limit
    total = 0
    for model, order in result.order.items():
        for node_id in order:
            size = result.memory[model].get(node_id, 0)
            total += size
            if total > limit:
                shape = fmt_shape(result.shapes[model][node_id])
                return [
                    Problem(
                        f"one sample's activations reach {total / 2**20:,.0f} MiB here, over the "
                        f"limit of {limit / 2**20:,.0f} MiB (this node's output {shape} alone is "
                        f"{size / 2**20:,.1f} MiB)",
                        node_id,
                        model,
                        design.models[model].node(node_id).type,
                        "downsample earlier, use fewer channels, or upsample by less",
                    )
                ]
    return []


def infer_shapes(design, param_limit: int | None = None) -> dict[str, dict[str, list[int]]]:
    """Output shape of every node of every model (batch excluded), or GraphError with every problem."""
    result = analyze(design, param_limit)
    if result.problems:
        raise GraphError(result.problems)
    return result.shapes


def count_params(design, param_limit: int | None = None) -> dict[str, dict[str, int]]:
    result = analyze(design, param_limit)
    if result.problems:
        raise GraphError(result.problems)
    return result.params


def _infer(model, graph, order, problems):
    bad = {p.node_id for p in problems if p.node_id is not None}
    shapes: dict[str, tuple[int, ...]] = {}
    counts: dict[str, int] = {}
    for node_id in order:
        node = graph.node(node_id)
        kind = get_kind(node.type)
        sources = graph.inputs_of(node_id)
        if kind is None or node_id in bad or any(s not in shapes for s in sources):
            continue  # its own problem is already reported, or an upstream one is
        params = kind.resolve(node.params)
        in_shapes = [shapes[s] for s in sources]
        try:
            shapes[node_id] = tuple(kind.shape(in_shapes, params))
        except ShapeError as exc:
            message = exc.message
            if len(sources) > 1:
                message += " (from " + ", ".join(repr(s) for s in sources) + ")"
            problems.append(Problem(message, node_id, model, node.type, exc.fix))
            continue
        if any(size < 1 for size in shapes[node_id]):
            problems.append(
                Problem(
                    f"output would be {fmt_shape(shapes.pop(node_id))}",
                    node_id,
                    model,
                    node.type,
                    "the input is too small for this layer: lower kernel or stride",
                )
            )
            continue
        counts[node_id] = int(kind.count(in_shapes, params))
    return shapes, counts


def gan_contract_problems(design, shapes: dict[str, dict[str, list[int]]]) -> list[Problem]:
    """Generator output == discriminator input; discriminator outputs one logit."""
    found = []
    gen_out = _end_shape(design, shapes, "generator", "output_node")
    disc_in = _end_shape(design, shapes, "discriminator", "input_node")
    if gen_out and disc_in and gen_out[1] != disc_in[1]:
        found.append(
            Problem(
                f"generator output {fmt_shape(gen_out[1])} does not match the discriminator's "
                f"Input {fmt_shape(disc_in[1])}",
                gen_out[0],
                "generator",
                fix=f"make the generator end in {fmt_shape(disc_in[1])}",
            )
        )
    disc_out = _end_shape(design, shapes, "discriminator", "output_node")
    if disc_out and disc_out[1] != [1]:
        found.append(
            Problem(
                f"the discriminator must output one logit [1], got {fmt_shape(disc_out[1])}",
                disc_out[0],
                "discriminator",
                fix="end with Dense(out_features=1) and no activation",
            )
        )
    return found


def _end_shape(design, shapes, model: str, end: str) -> tuple[str, list[int]] | None:
    """(id, shape) of a model's Input (`end` "input_node") or output ("output_node")."""
    node_id = getattr(design.models[model], end)
    shape = shapes.get(model, {}).get(node_id)
    return (node_id, shape) if shape is not None else None
