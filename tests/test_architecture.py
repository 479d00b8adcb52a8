"""The folder tree is the architecture: each stage imports only the stages below it.

The import graph is read from the source (every ``import``, at module level or
inside a function), so a lazy import counts as much as an eager one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "convgif"

# The pipeline's stages, lowest first: a module may import its own stage and those before it.
STAGES = ("errors", "layers", "simulate", "frames", "views", "backends", "io", "api", "batch",
          "cli")
FACE = {"convgif", "convgif.__main__", "convgif.keras"}  # the package's public face: on top


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every convgif import in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("convgif")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("convgif"):
            names = [a.name for a in node.names]
            for name in names:  # `from convgif.io import writers` imports a module
                if PACKAGE.parent.joinpath(*f"{node.module}.{name}".split(".")).with_suffix(
                    ".py"
                ).exists():
                    found.append((f"{node.module}.{name}", [], node.lineno))
            found.append((node.module, names, node.lineno))
    return found


def _graph() -> dict[str, list[tuple[str, list[str], int]]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _rank(module: str) -> int:
    if module in FACE:
        return len(STAGES)
    stage = module.split(".")[1]
    return STAGES.index(stage)


def test_every_module_belongs_to_a_stage():
    for module in _graph():
        if module not in FACE:
            assert module.split(".")[1] in STAGES, f"{module} is in no stage of {STAGES}"


def test_imports_go_only_downward():
    upward = [
        f"{module}:{line} imports {target}"
        for module, imports in _graph().items()
        for target, _, line in imports
        if target != "convgif" and _rank(target) > _rank(module)
    ]
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycles():
    graph = {
        m: {t for t, _, _ in imps if t not in ("convgif", m)} for m, imps in _graph().items()
    }
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt in graph and not state.get(nxt):
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if not state.get(module):
            visit(module, [module])


def test_private_names_stay_in_their_module():
    borrowed = [
        f"{module}:{line} takes {name} from {target}"
        for module, imports in _graph().items()
        for target, names, line in imports
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not borrowed, "private names used across modules:\n" + "\n".join(borrowed)


MAX_LINES = 400  # a module
MAX_FUNCTION = 60  # a function; longer ones are listed here with the reason
LONG_FUNCTIONS: dict[str, str] = {}


def test_modules_stay_small():
    long = {
        _module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_functions_stay_short():
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{_module_name(path)}.{node.name}"
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION and name not in LONG_FUNCTIONS:
                    long.append(f"{name}: {length} lines")
    assert not long, f"functions over {MAX_FUNCTION} lines, with no reason given: {long}"
