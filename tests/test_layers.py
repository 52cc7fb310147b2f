"""The packages are stages, and imports only go down them: no module imports a later stage, and
no modules import each other in a circle (imports made only for type checking aside)."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

RAG = Path(__file__).resolve().parent.parent / "rag"
# Lowest first; a module may import its own package or any package before it.
STAGES = ["settings", "language", "ingest", "store", "retrieve", "models", "answer"]
TOP = len(STAGES)  # rag.service, rag.cli and the other modules at the top


def module_name(path: Path) -> str:
    parts = path.relative_to(RAG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> int:
    first = module.split(".")[1] if "." in module else ""
    return STAGES.index(first) if first in STAGES else TOP


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> set[str]:
    """The project modules a file imports at run time (at the top or inside functions)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rag":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if (RAG.parent / (candidate.replace(".", "/") + ".py")).exists() else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "rag")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text("utf-8")))
    return found


@lru_cache(maxsize=1)
def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(RAG.rglob("*.py"))}


def test_every_module_belongs_to_a_stage_or_the_top():
    loose = [m for m in graph() if m.count(".") == 1 and stage(m) == TOP]
    assert sorted(loose) == sorted(["rag.service", "rag.cli", "rag.heap", "rag.evaluation"]), loose


@pytest.mark.parametrize("module", sorted(graph()))
def test_imports_go_down_the_stages(module):
    upward = sorted(i for i in graph()[module] if stage(i) > stage(module))
    assert not upward, f"{module} (stage {stage(module)}) imports a later stage: {upward}"


def cycle_in(edges: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports, or None: a depth-first search that meets a module on its own path."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := walk(node)):
            return found
    return None


def test_no_circle_of_imports():
    modules = graph()
    edges = {m: {i for i in imports if i in modules and i != m} for m, imports in modules.items()}
    assert cycle_in(edges) is None, " -> ".join(cycle_in(edges))


def test_the_checks_see_an_upward_import_and_a_circle():
    assert stage("rag.answer.question") > stage("rag.retrieve.timeframe")
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": {"c"}}) is None
