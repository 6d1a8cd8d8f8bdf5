"""The package's shape: no import cycles, each layer imports only what lies below it, and
no function so long that it needs a reason it does not give (docs/architecture.md).

Imports are read from the source (every ``import`` anywhere in a module: inside
functions and under ``TYPE_CHECKING`` too), so a cycle hidden by a deferred
import still counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "recdistill"

#: what each top-level part of recdistill may import (besides itself): the data's
#: path through the system, as docs/architecture.md draws it
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "progress": set(),
    "budget": {"errors", "progress"},
    "data": {"errors", "progress"},
    "split": {"data", "errors"},
    "text": {"errors", "progress"},
    "images": {"errors", "progress", "text"},
    "train": {"data", "errors", "progress"},
    "models": {"data", "errors", "images", "progress", "text", "train"},
    "specs": {"errors", "models"},
    "distill": {"data", "errors", "progress", "train", "models"},
    "config": {"budget", "data", "split", "errors", "specs", "distill"},
    "evaluate": {"data", "errors", "progress", "models", "config", "specs"},
    "report": {"progress"},
    "runfolder": {"data", "split", "errors", "models", "train", "report"},
    "serve": {"data", "errors", "models", "runfolder"},
    "export": {"data", "errors", "models", "runfolder", "serve"},
    "stages": {
        "budget", "config", "data", "distill", "errors", "evaluate", "images", "models",
        "progress", "report", "runfolder", "specs", "split", "text", "train",
    },
    "pipeline": {"budget", "config", "errors", "report", "runfolder", "stages", "train"},
    "demo": {"config", "data", "errors", "pipeline", "specs", "stages"},
    "tracking": {"errors", "runfolder"},
    "config_docs": {"config", "distill", "models", "specs", "stages"},
    "doctor": {"errors", "images", "text", "train"},
    "cli": {
        "config", "data", "demo", "errors", "evaluate", "pipeline", "progress", "runfolder",
        "serve", "tracking", "doctor", "export",
    },
    "__main__": {"cli"},
    "(root)": set(),
}  # fmt: skip

MAX_LINES = 80
REASON = "Why long:"


def modules() -> dict[str, Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the recdistill modules it imports (``from pkg import mod`` -> ``pkg.mod``)."""
    mods = modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        is_pkg = f.name == "__init__.py"
        for node in ast.walk(ast.parse(f.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                graph[m] |= {a.name for a in node.names if a.name in mods}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = m.split(".") if is_pkg else m.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for a in node.names:
                    full = f"{target}.{a.name}"
                    if full in mods:
                        graph[m].add(full)
                    elif target in mods:
                        graph[m].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph[v]:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def part(module: str) -> str:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "(root)"


def test_cycle_finder_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"], ["e"]]


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_each_part_imports_only_what_lies_below_it() -> None:
    graph = import_graph()
    assert set(map(part, graph)) <= set(ALLOWED), "a new top-level part needs its row in ALLOWED"
    wrong = sorted(
        f"{m} imports {t}"
        for m, targets in graph.items()
        for t in targets
        if part(t) != part(m) and part(t) not in ALLOWED[part(m)]
    )
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("lower", ["models", "train", "distill", "evaluate", "serve", "report"])
def test_lower_layers_never_import_the_cli_pipeline_or_stages(lower: str) -> None:
    assert not ALLOWED[lower] & {"cli", "pipeline", "stages"}


def test_no_function_over_80_lines_without_a_reason() -> None:
    long = []
    for m, f in modules().items():
        for node in ast.walk(ast.parse(f.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                n = node.end_lineno - node.lineno + 1
                if n > MAX_LINES and REASON not in (ast.get_docstring(node) or ""):
                    long.append(f"{m}.{node.name}: {n} lines")
    assert not long, f"over {MAX_LINES} lines without '{REASON}' in the docstring: {long}"
