"""The structure of builder/: no import cycles (an import inside a function counts as much as one
at the top of a module), no import hidden in a function unless deferred on purpose, no streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
BUILDER = ROOT / "builder"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def builder_modules() -> dict[str, Path]:
    return {module_name(p): p for p in BUILDER.rglob("*.py") if "templates" not in p.parts}


def imports(path: Path, modules: dict) -> set[str]:
    """builder modules this file imports, wherever the import stands: at the top, in a class,
    or deferred inside a function (an import that runs later is an edge all the same)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
    found.discard(own)
    return found


def import_graph() -> nx.DiGraph:
    modules = builder_modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for target in imports(path, modules):
            graph.add_edge(name, target)
    return graph


def test_builder_has_no_import_cycles():
    cycles = list(nx.simple_cycles(import_graph()))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_an_import_deferred_into_a_function_is_an_edge_of_the_graph():
    # launch.py imports the Ray executor only when a run asks for Ray (Ray is optional).
    assert "builder.runs.ray_executor" in import_graph().successors("builder.runs.launch")


def test_functions_import_nothing_unless_deferring_a_heavy_module_on_purpose():
    offenders = []
    for path in builder_modules().values():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        if "deferred on purpose" not in lines[inner.lineno - 1]:
                            offenders.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert not offenders, offenders


def test_builder_never_imports_streamlit():
    for path in BUILDER.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "streamlit" for n in names), path
