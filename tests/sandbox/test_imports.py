"""The sandbox's imports go one way: no module of reconciler/sandbox imports itself back through
others (imports under `if TYPE_CHECKING:` count: they are edges of the same graph for a reader
and for mypy). `app.py` is the top: it imports the route modules, and they take the shared
`Sandbox` from `state.py`, never from `app.py`."""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler.sandbox

PACKAGE = "reconciler.sandbox"
ROOT = Path(reconciler.sandbox.__file__).resolve().parent

Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for _ in range(node.level - 1):
        package = package.rsplit(".", 1)[0]
    return f"{package}.{node.module}" if node.module else package


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The sandbox modules one file imports (`from . import x` names module x when it is one)."""
    module = module_name(path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, path, node)
            names = {f"{base}.{alias.name}" for alias in node.names}
            found.update(name for name in names if name in modules)
            if node.module or not names <= modules:  # `from . import x` of modules only: x
                found.add(base)
    return {name for name in found if name in modules and name != module}


def import_graph(root: Path = ROOT) -> Graph:
    paths = sorted(root.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    return {module_name(path): imports_of(path, modules) for path in paths}


def find_cycle(graph: Graph) -> list[str]:
    """One import cycle as [a, b, ..., a], or [] when the graph has none (depth-first search)."""
    done: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> list[str]:
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target in on_stack:
                return [*stack[stack.index(target) :], target]
            if target not in done and (cycle := visit(target)):
                return cycle
        on_stack.discard(stack.pop())
        done.add(node)
        return []

    for node in sorted(graph):
        if node not in done and (cycle := visit(node)):
            return cycle
    return []


def test_the_sandbox_has_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 50
    assert find_cycle(graph) == []


def test_route_modules_never_import_the_app() -> None:
    graph = import_graph()
    importers = sorted(m for m, targets in graph.items() if f"{PACKAGE}.app" in targets)
    assert importers == [f"{PACKAGE}", f"{PACKAGE}.cli", f"{PACKAGE}.server"]


def test_a_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_relative_imports_resolve_to_modules() -> None:
    graph = import_graph()
    assert f"{PACKAGE}.state" in graph[f"{PACKAGE}.http"]  # under TYPE_CHECKING
    assert f"{PACKAGE}.admin.org_projects_link" in graph[f"{PACKAGE}.admin.org_invites"]
    assert f"{PACKAGE}.audit" in graph[f"{PACKAGE}.admin.common"]  # `from .. import audit`
