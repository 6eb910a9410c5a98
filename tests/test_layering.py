"""The layering rules of ARCHITECTURE.md, checked on the source: only providers/ (and the
separate sandbox/) import the SDK, and the core never imports the sandbox (the CLI may, to
start it for `--sandbox`)."""

from __future__ import annotations

import ast
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
