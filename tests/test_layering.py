"""The layering rules of ARCHITECTURE.md, checked on the source: only providers/ (and the
separate sandbox/) import the SDK, and the core never imports the sandbox (the CLI may, to
start it for `--sandbox`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "reconciler"
CORE_FILES = sorted(
    path
    for path in PACKAGE.rglob("*.py")
    if path.relative_to(PACKAGE).parts[0] not in ("providers", "sandbox")
)


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_imports_neither_the_sdk_nor_the_sandbox(path: Path) -> None:
    forbidden = {
        module
        for module in _imported_modules(path)
        if module.split(".")[0] == "openai" or module.startswith("reconciler.sandbox")
    }
    # The CLI is the composition root: `--sandbox` starts the embedded sandbox (lazily, inside
    # the command), and `reconciler sandbox` is its own command group.
    allowed = {"reconciler.sandbox"} if path.name == "cli.py" and path.parent == PACKAGE else set()
    assert forbidden - allowed == set(), f"{path} imports {sorted(forbidden)}"


def test_the_rule_sees_imports() -> None:
    assert "openai" in _imported_modules(PACKAGE / "providers" / "client.py")


def test_the_graph_does_not_import_the_manifest_loader() -> None:
    """manifests/stack.py builds the graph; the graph knows resources only (one-way imports)."""
    imported = _imported_modules(PACKAGE / "graph.py")
    assert not {m for m in imported if m.startswith("reconciler.manifests")}, imported


def _top_level_imports(path: Path, module: str) -> set[str]:
    """Modules `module` imports when it is loaded (not under TYPE_CHECKING, not in functions)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, (ast.If, ast.Try)):
                yield from statements(node.body)
                yield from statements(node.orelse)
            else:
                yield node

    found: set[str] = set()
    for node in statements(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            if not node.level:
                name = node.module or ""
            else:
                name = ".".join([*base, node.module] if node.module else base)
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_sandbox_modules_import_each_other_without_a_circle() -> None:
    root = PACKAGE / "sandbox"
    modules: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        parts = ("reconciler", *path.relative_to(PACKAGE).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    edges: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = {name for name in _top_level_imports(path, module) if name in modules}
        # importing a.b.c runs a/__init__ and a/b/__init__ first
        for name in list(targets):
            pieces = name.split(".")
            targets.update(
                ".".join(pieces[:i])
                for i in range(2, len(pieces))
                if ".".join(pieces[:i]) in modules
            )
        edges[module] = targets - {module}

    def cycle_from(start: str) -> list[str] | None:
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            for target in edges[node]:
                if target == start:
                    return [*path, start]
                if target not in seen:
                    seen.add(target)
                    stack.append((target, [*path, target]))
        return None

    cycles = [cycle for module in sorted(modules) if (cycle := cycle_from(module))]
    assert not cycles, " -> ".join(cycles[0])
