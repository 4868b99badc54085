"""The design file: reading (with upgrade of old versions), checking its structure, writing it back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from builder.design.graph import Graph, Node
from builder.design.settings import read_training_numbers, resolved_training, validate_training
from builder.design.values import MAX_NAME, MAX_NODES, check_text, check_values
from builder.errors import DesignError, GraphError, Problem
from builder.layers.registry import get_kind, kind_names
from builder.recipes.tasks import task_of

CURRENT_VERSION = 1
MODEL_SETS = ({"model"}, {"generator", "discriminator"})
TOP_FIELDS = {"version", "name", "models", "training", "layout"}
NODE_FIELDS = {"id", "type", "params"}
MAX_FILE_BYTES = 5_000_000


@dataclass(frozen=True)
class Design:
    name: str
    models: dict[str, Graph]
    training: dict = field(default_factory=dict)
    layout: dict = field(default_factory=dict)
    version: int = CURRENT_VERSION

    @property
    def is_gan(self) -> bool:
        return set(self.models) == {"generator", "discriminator"}

    @property
    def task(self) -> str:
        """What the design learns (its training section's task, or the default one)."""
        return task_of(self.training)

    @property
    def settings(self) -> dict:
        """The training section with every default filled in (what the trainer runs with)."""
        return resolved_training(dict(self.training or {}))

    def with_model(self, name: str, graph: Graph) -> Design:
        return replace(self, models={**self.models, name: graph})

    def with_training(self, **changes: Any) -> Design:
        return replace(self, training={**self.training, **changes})

    def to_dict(self) -> dict:
        return {
            "version": CURRENT_VERSION,
            "name": self.name,
            "models": {name: graph.to_dict() for name, graph in self.models.items()},
            "training": json.loads(json.dumps(self.training)),
            "layout": json.loads(json.dumps(self.layout)),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def upgrade(data: dict) -> dict:
    """Bring a design dict of any known version to the current one (the only place that knows history).

    Version 0 had no "version" field and held one graph at the top level ("nodes", "edges").
    """
    version = data.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise DesignError(f'"version" must be a whole number, got {version!r}')
    if version > CURRENT_VERSION:
        raise DesignError(
            f"design version {version} is newer than this netbuilder understands "
            f"(up to {CURRENT_VERSION}): update netbuilder"
        )
    if version < 0:
        raise DesignError(f"unknown design version {version}")
    if version == 0:
        data = dict(data)
        graph = {"nodes": data.pop("nodes", []), "edges": data.pop("edges", [])}
        data.setdefault("models", {"model": graph})
        data["version"] = 1
    return data


def load_design(source: str | Path | dict | Design) -> Design:
    """Read a design from a path, JSON text or dict; raise DesignError/GraphError with clear messages."""
    if isinstance(source, Design):
        return source
    if isinstance(source, Path) or (
        isinstance(source, str) and not source.lstrip().startswith(("{", "["))
    ):
        source = _read_file(Path(source))
    if isinstance(source, str):
        source = parse_json(source)
    return design_from_data(source)


def design_from_data(data: Any) -> Design:
    """The one check every design passes, read from a file or made on the page: its values
    (text, numbers, sizes), then its structure (limits, ids, params, training).  Loading and
    saving both call it, so whatever is saved can be opened again."""
    if not isinstance(data, dict):
        raise DesignError(f"a design must be a JSON object, got {type(data).__name__}")
    check_values(data)
    return _from_dict(upgrade(data))


def saved_text(design: Design) -> str:
    """The text `design` is saved as, once loading would accept exactly that text; otherwise
    DesignError naming the field (the design is never written in a form that cannot be read)."""
    try:
        text = design.to_json()
    except (TypeError, ValueError) as exc:  # a value JSON cannot hold
        raise DesignError(f"the design cannot be written as JSON: {exc}") from None
    check_size(len(text.encode("utf-8", "surrogatepass")), "the design")
    design_from_data(parse_json(text))
    return text


def check_size(size: int, where: str) -> None:
    if size > MAX_FILE_BYTES:
        raise DesignError(f"{where} is larger than {MAX_FILE_BYTES:,} bytes")


def read_design_text(path: Path, shown: str) -> str:
    """A design file's text; errors name it as `shown` (a person's path is theirs to see, a
    document's place in the workspace is not)."""
    try:
        check_size(path.stat().st_size, shown)
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DesignError(f"{shown}: no such file") from None
    except UnicodeDecodeError:
        raise DesignError(f"{shown}: not a text file (expected design JSON)") from None
    except OSError as exc:
        raise DesignError(f"{shown}: cannot read: {exc.strerror or exc}") from None


def _read_file(path: Path) -> str:
    return read_design_text(path, str(path))


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DesignError(
            f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except RecursionError:
        raise DesignError("JSON is nested too deeply") from None
    except ValueError:  # Python refuses to read integers of thousands of digits
        raise DesignError("not a readable design: a number in it has thousands of digits") from None


def _from_dict(data: dict) -> Design:
    unknown = sorted(set(data) - TOP_FIELDS)
    if unknown:
        raise DesignError(
            f"unknown field {unknown[0]!r} in design (known: {', '.join(sorted(TOP_FIELDS))})"
        )
    name = data.get("name", "untitled")
    if not isinstance(name, str):
        raise DesignError(f'"name" must be text, got {name!r}')
    check_text(name, '"name"', MAX_NAME)
    models = data.get("models")
    if not isinstance(models, dict) or set(models) not in MODEL_SETS:
        got = sorted(models) if isinstance(models, dict) else models
        raise DesignError(
            f'"models" must hold "model", or "generator" and "discriminator" for a GAN; got {got!r}'
        )
    for key in ("training", "layout"):
        if not isinstance(data.get(key, {}), dict):
            raise DesignError(f'"{key}" must be a JSON object')
    problems: list[Problem] = []
    graphs = {mname: _graph(mname, g, problems) for mname, g in models.items()}
    training = read_training_numbers(data.get("training", {}))
    problems.extend(validate_training(training))
    if problems:
        raise GraphError(problems)
    return Design(
        name=name,
        models=graphs,
        training=training,
        layout=data.get("layout", {}),
    )


def _graph(model: str, data: Any, problems: list[Problem]) -> Graph:
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise DesignError(f'model "{model}" must be an object with a "nodes" list')
    unknown = set(data) - {"nodes", "edges"}
    if unknown:
        raise DesignError(f'unknown field {sorted(unknown)[0]!r} in model "{model}"')
    if len(data["nodes"]) > MAX_NODES:
        raise DesignError(
            f'model "{model}" has {len(data["nodes"]):,} nodes, more than {MAX_NODES:,}'
        )
    nodes = [_node(model, i, raw, problems) for i, raw in enumerate(data["nodes"])]
    edges = data.get("edges", [])
    if not isinstance(edges, list):
        raise DesignError(f'"edges" of model "{model}" must be a list of [source, target] pairs')
    pairs = []
    for i, edge in enumerate(edges):
        if not (
            isinstance(edge, list) and len(edge) == 2 and all(isinstance(e, str) for e in edge)
        ):
            raise DesignError(
                f'edge #{i + 1} of model "{model}" must be [source id, target id], got {edge!r}'
            )
        pairs.append((edge[0], edge[1]))
    return Graph(nodes=nodes, edges=pairs)


def _node(model: str, index: int, raw: Any, problems: list[Problem]) -> Node:
    where = f'node #{index + 1} of model "{model}"'
    if not isinstance(raw, dict):
        raise DesignError(f"{where} must be an object")
    unknown = set(raw) - NODE_FIELDS
    if unknown:
        raise DesignError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    node_id, kind_name, params = raw.get("id"), raw.get("type"), raw.get("params", {})
    if not isinstance(node_id, str) or not node_id:
        raise DesignError(f'{where}: "id" must be non-empty text, got {node_id!r}')
    check_text(node_id, f'{where}: "id"', MAX_NAME)
    if not isinstance(kind_name, str):
        raise DesignError(f'{where} ({node_id!r}): "type" must be text, got {kind_name!r}')
    if not isinstance(params, dict):
        raise DesignError(f'{where} ({node_id!r}): "params" must be an object')
    node = Node(node_id, kind_name, read_numbers(kind_name, params))
    problems.extend(declaration_problems(model, node))
    return node


def read_numbers(kind_name: str, params: dict) -> dict:
    """The params with numbers read as their declarations store them (1e3 or 1000.0 is 1000 for
    a whole-number param); a value that does not read stays, for the checks to name.  A file's
    numbers are JSON numbers: text in it stays text (and is refused)."""
    kind = get_kind(kind_name)
    read = dict(params)
    for name, value in params.items():
        param = kind.param(name) if kind is not None else None
        if param is not None and param.type == "int" and isinstance(value, float):
            number, reason = param.number_from(value)
            if reason is None:
                read[name] = number
    return read


def declaration_problems(model: str, node: Node) -> list[Problem]:
    """Unknown type, unknown params and out-of-bounds values of one node."""
    kind = get_kind(node.type)
    if kind is None:
        return [
            Problem(
                f"unknown layer type {node.type!r}",
                node.id,
                model,
                fix="use one of " + ", ".join(kind_names()),
            )
        ]
    found = []
    for name, value in node.params.items():
        param = kind.param(name)
        if param is None:
            known = ", ".join(p.name for p in kind.all_params) or "none"
            found.append(
                Problem(f"unknown param {name!r}", node.id, model, node.type, f"known: {known}")
            )
            continue
        reason = param.check(value)
        if reason:
            found.append(Problem(f"{name} {reason}", node.id, model, node.type))
    return found
