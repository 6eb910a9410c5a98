"""The harness stack: one example manifest per kind (`kinds/<Kind>.yaml`), copied where a test
needs more objects, plus the `reconciler.yaml` that makes them a stack.

Every harness test builds its stack here, so a kind added to `reconciler.models.KINDS` with an
example in `kinds/` is exercised by every test without editing them (`test_kinds.py` fails
while a kind has no example). A copy renames `metadata.name` and every string value equal to
it (a Project's API name stays unique); references to other kinds point at their first copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from reconciler.models import KINDS

KINDS_DIR = Path(__file__).parent / "kinds"
STACK_NAME = "harness"


@dataclass(frozen=True)
class HarnessStack:
    """A stack folder written by `build_stack`, and the addresses it declares."""

    root: Path
    name: str
    addresses: tuple[str, ...]

    def count(self, kind: str) -> int:
        return sum(1 for address in self.addresses if address.startswith(f"{kind}/"))


def example_path(kind: str) -> Path:
    return KINDS_DIR / f"{kind}.yaml"


def missing_examples() -> list[str]:
    """Kinds of `KINDS` that have no example manifest in `kinds/`."""
    return sorted(kind for kind in KINDS if not example_path(kind).is_file())


def read_example(kind: str) -> dict[str, Any]:
    loaded = YAML(typ="safe").load(example_path(kind).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict) and loaded.get("kind") == kind, (
        f"{example_path(kind)} must hold one document of kind {kind}"
    )
    return loaded


def build_stack(
    root: Path, copies: int | Mapping[str, int] = 1, *, name: str = STACK_NAME
) -> HarnessStack:
    """Write a stack of every kind's example into `root`: `copies` of each (per kind, or the
    same count for all; a kind missing from the mapping gets one)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(KINDS_DIR / "data", root / "data", dirs_exist_ok=True)
    addresses: list[str] = []
    for kind in sorted(KINDS):
        example = read_example(kind)
        wanted = copies if isinstance(copies, int) else copies.get(kind, 1)
        documents = [renamed(example, copy_name(example, i)) for i in range(wanted)]
        addresses += [f"{kind}/{d['metadata']['name']}" for d in documents]
        (root / f"{kind}.yaml").write_text(_dump_all(documents), encoding="utf-8")
    # No default_project: the data goes to the API key's own project (a project key acts only
    # in its own project, and the example Project is created by the same apply).
    (root / "reconciler.yaml").write_text(f"stack: {name}\n", encoding="utf-8")
    return HarnessStack(root, name, tuple(addresses))


def copy_name(example: Mapping[str, Any], index: int) -> str:
    base = str(example["metadata"]["name"])
    return base if index == 0 else f"{base}-{index:02d}"


def renamed(document: Any, new: str, old: str | None = None) -> Any:
    """`document` with every string value equal to its `metadata.name` replaced by `new`."""
    if old is None:
        old = document["metadata"]["name"]
    if isinstance(document, dict):
        return {key: renamed(value, new, old) for key, value in document.items()}
    if isinstance(document, list):
        return [renamed(value, new, old) for value in document]
    return new if document == old else document


def _dump_all(documents: list[dict[str, Any]]) -> str:
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    out = StringIO()
    yaml.dump_all(documents, out)
    return out.getvalue()
