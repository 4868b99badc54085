"""Running generated source, the way torch.fx's GraphModule.recompile does: the text that is
shown and exported is compiled and executed as it stands, never a second implementation."""

from __future__ import annotations

import builtins
import itertools
import linecache
import sys
import types

_SERIAL = itertools.count(1)


def run_source(
    source: str,
    filename: str,
    module_name: str,
    modules: dict | None = None,
    importable: bool = False,
):
    """Execute `source` as a fresh module; `modules` answers its imports of those names (train.py's
    `from model import Model`) without touching sys.modules, so two designs can run side by side.

    `importable`: also listed in sys.modules under a name of its own (`module_name` and a serial
    number), as torch.compile looks a traced function's module up by name; for a training
    program, which runs once per process or run, never for what the page builds on each rerun."""
    if importable:
        module_name = f"{module_name}_{next(_SERIAL)}"
    module = types.ModuleType(module_name)
    module.__file__ = filename
    if modules:
        real_import = builtins.__import__

        def find(name, globals=None, locals=None, fromlist=(), level=0):
            if level == 0 and name in modules:
                return modules[name]
            return real_import(name, globals, locals, fromlist, level)

        module.__dict__["__builtins__"] = {**vars(builtins), "__import__": find}
    # Registered so tracebacks and inspect show the generated lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    if importable:
        sys.modules[module_name] = module
    exec(compile(source, filename, "exec"), module.__dict__)
    return module
