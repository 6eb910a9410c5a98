"""The dependency graph of a stack: which resource must exist before which.

Built from the `Reference`s of each `Resource` (explicit `Kind/name` fields and the stack's
default project). The loader uses it to report cycles; the planner and apply engine use it to
create in `order()` (dependencies first), delete in `reverse_order()`, and skip the
`dependents()` of a failed resource. Edges to undeclared resources are ignored here; the
loader reports them as dangling references.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.errors import Diagnostics, ManifestError, SourceLocation
from reconciler.models.base import Reference, Resource


@dataclass(frozen=True)
class Cycle:
    """A dependency cycle: `path` starts and ends at the same address."""

    path: tuple[str, ...]
    location: SourceLocation | None

    def __str__(self) -> str:
        return " -> ".join(self.path)


class DependencyGraph:
    """Addresses (`Kind/name`) and their dependency edges, with deterministic orders."""

    def __init__(self, edges: Mapping[str, Mapping[str, Reference | None]]) -> None:
        """`edges[a][b]` = the reference by which `a` depends on `b` (None if not written)."""
        self._nodes = tuple(sorted(edges))
        self._dependencies = {
            node: {dep: ref for dep, ref in sorted(targets.items()) if dep in edges}
            for node, targets in edges.items()
        }
        self._dependents: dict[str, set[str]] = {node: set() for node in self._nodes}
        for node, targets in self._dependencies.items():
            for dependency in targets:
                self._dependents[dependency].add(node)
        self._all_levels = self._levels()

    @classmethod
    def from_resources(cls, resources: Iterable[Resource]) -> DependencyGraph:
        edges: dict[str, dict[str, Reference | None]] = {}
        for resource in resources:
            targets = edges.setdefault(resource.address, {})
            for reference in resource.references:
                targets.setdefault(reference.address, reference)
        return cls(edges)

    @property
    def nodes(self) -> tuple[str, ...]:
        return self._nodes

    def dependencies(self, address: str) -> list[str]:
        """What `address` directly depends on, sorted."""
        return list(self._dependencies[address])

    def direct_dependents(self, address: str) -> list[str]:
        return sorted(self._dependents[address])

    def dependents(self, address: str) -> list[str]:
        """Everything that depends on `address`, directly or not, in creation order."""
        seen: set[str] = set()
        pending = [address]
        while pending:
            for dependent in self._dependents[pending.pop()]:
                if dependent not in seen:
                    seen.add(dependent)
                    pending.append(dependent)
        return [node for node in self.order() if node in seen]

    def order(self) -> list[str]:
        """Dependencies first; within a level, by address. Raises ManifestError on a cycle."""
        levels = self._all_levels
        if len(levels) < len(self._nodes):
            raise ManifestError(self.cycle_diagnostics())
        return sorted(self._nodes, key=lambda node: (levels[node], node))

    def reverse_order(self) -> list[str]:
        """Dependents first: the order to delete in."""
        return list(reversed(self.order()))

    def cycles(self) -> list[Cycle]:
        """One cycle per tangle of mutually dependent resources, each from its smallest node."""
        remaining = set(self._nodes) - set(self._all_levels)
        found = []
        while remaining:
            cycle = self._walk_to_cycle(min(remaining), remaining)
            found.append(cycle)
            remaining -= set(cycle.path)
            remaining -= set(self._levels(among=remaining))
        return sorted(found, key=lambda cycle: cycle.path)

    def cycle_diagnostics(self) -> Diagnostics:
        diagnostics = Diagnostics()
        for cycle in self.cycles():
            diagnostics.error(
                f"dependency cycle: {cycle}",
                cycle.location,
                hint="resources cannot depend on each other in a circle; remove one reference",
                code="dependency-cycle",
            )
        return diagnostics

    def _levels(self, among: set[str] | None = None) -> dict[str, int]:
        """Kahn's algorithm: level 0 has no dependencies; nodes on or after a cycle are left out."""
        nodes = set(self._nodes) if among is None else among
        waiting = {node: len(set(self._dependencies[node]) & nodes) for node in nodes}
        ready = [node for node, count in waiting.items() if count == 0]
        levels = dict.fromkeys(ready, 0)
        while ready:
            node = ready.pop()
            for dependent in self._dependents[node] & nodes:
                levels[dependent] = max(levels.get(dependent, 0), levels[node] + 1)
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    ready.append(dependent)
        return {node: levels[node] for node in nodes if waiting[node] == 0}

    def _walk_to_cycle(self, start: str, remaining: set[str]) -> Cycle:
        """Follow the smallest remaining dependency until a node repeats."""
        path = [start]
        while True:
            node = min(dep for dep in self._dependencies[path[-1]] if dep in remaining)
            if node in path:
                loop = path[path.index(node) :]
                first = loop.index(min(loop))
                loop = loop[first:] + loop[:first]
                reference = self._dependencies[loop[0]][loop[1 % len(loop)]]
                return Cycle((*loop, loop[0]), reference.location if reference else None)
            path.append(node)
