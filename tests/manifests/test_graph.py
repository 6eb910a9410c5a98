"""The dependency graph: creation order, deletion order, dependents, cycles with their path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from manifest_helpers import WidgetSpec

from reconciler.errors import ManifestError, SourceLocation
from reconciler.graph import DependencyGraph
from reconciler.manifests import load_stack
from reconciler.models.base import Metadata, Reference, Resource

SPECS = Path(__file__).resolve().parents[2] / "specs"


def widget(name: str, *needs: str) -> Resource:
    """A Widget resource whose `needs` references other widgets (written on line 10 + index)."""
    references = tuple(
        Reference("Widget", need, ("needs", index), SourceLocation("w.yaml", 10 + index, 5))
        for index, need in enumerate(needs)
    )
    return Resource(
        kind="Widget",
        name=name,
        metadata=Metadata(name=name),
        spec=WidgetSpec(needs=[f"Widget/{need}" for need in needs]),
        location=SourceLocation("w.yaml", 1, 1),
        base_dir=Path("."),
        references=references,
    )


def graph(*resources: Resource) -> DependencyGraph:
    return DependencyGraph.from_resources(resources)


def test_the_default_project_is_created_before_its_data(tmp_path: Path) -> None:
    shutil.copytree(SPECS, tmp_path / "specs", ignore=shutil.ignore_patterns(".reconciler"))
    config = "stack: demo\ndefault_project: Project/support\n"
    (tmp_path / "specs" / "reconciler.yaml").write_text(config, encoding="utf-8")
    demo = DependencyGraph.from_resources(load_stack(tmp_path / "specs").resources.values())

    assert demo.order() == ["Project/support", "Dataset/support-train", "Dataset/support-valid"]
    assert demo.reverse_order()[-1] == "Project/support"
    assert demo.dependents("Project/support") == ["Dataset/support-train", "Dataset/support-valid"]


def test_order_is_by_level_then_address() -> None:
    g = graph(widget("a", "b", "c"), widget("b", "c"), widget("c"), widget("d"), widget("e", "d"))

    assert g.order() == ["Widget/c", "Widget/d", "Widget/b", "Widget/e", "Widget/a"]
    assert g.reverse_order() == ["Widget/a", "Widget/e", "Widget/b", "Widget/d", "Widget/c"]


def test_dependencies_are_direct_and_dependents_transitive() -> None:
    g = graph(widget("a", "b"), widget("b", "c"), widget("c"), widget("x"))

    assert g.dependencies("Widget/a") == ["Widget/b"]
    assert g.direct_dependents("Widget/c") == ["Widget/b"]
    assert g.dependents("Widget/c") == ["Widget/b", "Widget/a"]
    assert g.dependents("Widget/x") == []


def test_edges_to_undeclared_resources_are_ignored() -> None:
    g = graph(widget("a", "ghost"))

    assert g.order() == ["Widget/a"]
    assert g.dependencies("Widget/a") == []


def test_cycle_is_reported_with_its_full_path_and_first_reference() -> None:
    g = graph(widget("a", "b"), widget("b", "c"), widget("c", "a"), widget("d", "a"))

    (cycle,) = g.cycles()
    assert str(cycle) == "Widget/a -> Widget/b -> Widget/c -> Widget/a"
    assert cycle.location == SourceLocation("w.yaml", 10, 5)
    with pytest.raises(ManifestError, match="dependency cycle: Widget/a -> Widget/b"):
        g.order()


def test_separate_cycles_are_each_reported_once() -> None:
    g = graph(
        widget("a", "b"),
        widget("b", "a"),
        widget("m", "n", "z"),
        widget("n", "m"),
        widget("z", "z"),
    )

    assert [str(c) for c in g.cycles()] == [
        "Widget/a -> Widget/b -> Widget/a",
        "Widget/m -> Widget/n -> Widget/m",
        "Widget/z -> Widget/z",
    ]
    assert len(g.cycle_diagnostics().errors) == 3


def test_cycle_starts_at_its_smallest_address_wherever_the_walk_begins() -> None:
    g = graph(widget("a", "q"), widget("q", "r"), widget("r", "p"), widget("p", "q"))

    assert [str(c) for c in g.cycles()] == ["Widget/p -> Widget/q -> Widget/r -> Widget/p"]
