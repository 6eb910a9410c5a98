"""Helpers for the manifest tests: write a stack of YAML files; a test-only kind with references."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

from reconciler.models import KINDS
from reconciler.models.base import KindInfo, Spec


class WidgetSpec(Spec):
    """A test-only kind whose `needs` lists other widgets (to build cycles)."""

    needs: list[str] = []
    dataset: str | None = None


WIDGET = KindInfo(
    kind="Widget",
    spec_model=WidgetSpec,
    reference_fields={"needs": ("Widget",), "dataset": ("Dataset",)},
)
KINDS_WITH_WIDGET: Mapping[str, KindInfo] = {**KINDS, "Widget": WIDGET}


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    """Write `{relative path: YAML text}` under `root` (text is dedented)."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
