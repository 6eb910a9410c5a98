"""Pure per-kind planning logic: the desired view of a resource and how it finds its live match.

`planner.build_plan` asks the `KindPlanner` of each resource's kind for a `Desired` (the
declared-field view compared with live attributes, and the payload apply sends) and a `Match`
(the live object it manages, if any); the words of every reason come from here too. Nothing
here calls the API: a kind's provider module (`reconciler/providers/`) does that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.manifests import Stack
from reconciler.models.base import Resource
from reconciler.plan import Cost, FieldChange
from reconciler.state import LiveObject, LiveState


class ProblemFacts(Protocol):
    """One dataset problem (`reconciler.datasets.DataProblem`)."""

    @property
    def code(self) -> str: ...

    @property
    def line(self) -> int: ...

    @property
    def message(self) -> str: ...

    @property
    def severity(self) -> str: ...


class DatasetFacts(Protocol):
    """What the planner needs from a dataset check (`reconciler.datasets.DatasetReport`)."""

    @property
    def sha256(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def has_errors(self) -> bool: ...

    @property
    def problems(self) -> Sequence[ProblemFacts]: ...

    def summary_lines(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class PlanContext:
    """What a kind planner may read: the stack, the live state, dataset facts, and the live ids
    of the resources planned so far (None = created by this plan: known after apply)."""

    stack: Stack
    live: LiveState
    facts: Mapping[str, DatasetFacts]
    known_ids: Mapping[str, str | None]


@dataclass(frozen=True)
class Desired:
    """The desired side of one resource.

    `view` has the declared fields compared with `LiveObject.attributes`; `payload` is what
    apply sends (`ResourceChange.desired`); `references` maps payload fields to the addresses
    whose live ids fill them at apply time; `blocked` stops the resource with a reason;
    `cost` is the estimated spend of making it (the plan's cost summary adds them up).
    """

    view: dict[str, Any]
    payload: dict[str, Any]
    references: dict[str, str] = field(default_factory=dict)
    details: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    blocked: str | None = None
    cost: Cost | None = None  # what making it is estimated to spend (billed kinds)


@dataclass(frozen=True)
class Match:
    """The live object a resource manages.

    `deposed` are superseded copies (deleted once the plan runs); `adopt` means the object
    was found by its natural key only, so apply records the binding; `note` adds context to
    a create ("its project proj_x was archived"); `warnings` report what looks wrong in the
    live system (another object that could be this one's duplicate), with ids.
    """

    current: LiveObject | None = None
    deposed: tuple[LiveObject, ...] = ()
    adopt: bool = False
    created_by_stack: bool = False
    blocked: str | None = None
    note: str | None = None
    warnings: tuple[str, ...] = ()  # about the live side (duplicates); shown even on a no-op
    wait: str | None = None  # the live object is still in progress (a running job): why, how far


@dataclass(frozen=True)
class ImportContext:
    """What a kind's `import_spec` may read: the stack, the live state, and how to write a
    project as a reference (`project_refs`: live id -> `Project/name` of a manifest, declared or
    imported in the same run; a project not in it is written as its id)."""

    stack: Stack
    live: LiveState
    project_refs: Mapping[str, str] = field(default_factory=dict)

    def project_ref(self, project_id: str) -> str:
        return self.project_refs.get(project_id, project_id)


@dataclass(frozen=True)
class Imported:
    """What `reconciler import` writes for one live object (a kind planner's `import_spec`).

    `spec` is the manifest's spec, such that the next plan is a no-op; `name` the suggested
    `metadata.name`; `pin_id` writes `metadata.id` (kinds whose planner matches by it);
    `record` has the import record the object in the stack's ownership registry as adopted
    (kinds matched through the registry); `note` is written as a comment above the document.
    `spec` None means the object cannot be imported, and `reason` says why; `quiet` keeps
    that out of an `--all` report (an object nobody means to import: a predefined role, an
    accepted invite), while an import of that one object still says it.
    """

    name: str
    spec: dict[str, Any] | None = None
    pin_id: bool = False
    record: bool = False
    note: str | None = None
    reason: str | None = None
    quiet: bool = False


class KindPlanner(Protocol):
    """The planning logic of one kind."""

    kind: str

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired: ...

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match: ...

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str: ...

    def noop_reason(self, desired: Desired, current: LiveObject) -> str: ...

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str: ...

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str: ...

    def delete_reason(self, obj: LiveObject) -> str: ...

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]: ...


def manifest_name(*parts: str) -> str:
    """A valid `metadata.name` made of `parts` (lowercase; other characters become '-')."""
    import re

    text = "-".join(p for p in parts if p).lower()
    text = re.sub(r"[^a-z0-9_.]+", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-_.")[:63].strip("-_.")
    return text or "imported"


def local_match(kind: str, resource: Resource, desired: Desired) -> Match:
    """The match of a kind that lives only in the reconciler: itself, as it is declared."""
    local = LiveObject(
        kind=kind,
        key=resource.name,
        live_id=f"local:{resource.name}",
        attributes=dict(desired.view),
    )
    return Match(current=local)


def short(value: Any) -> str:
    """A value in a reason: strings quoted, digests shortened."""
    if isinstance(value, str) and value.startswith("sha256:"):
        return value.removeprefix("sha256:")[:8] + "…"
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


def set_change_reason(
    changes: Sequence[FieldChange],
    field: str,
    *,
    replace: bool,
    verbs: tuple[str, str] = ("add", "remove"),
    unchanged: str = "",
) -> str:
    """A list field kept as a set (`spec.<field>`): `add a, b; remove c`, after what the other
    fields' changes say; `unchanged` when only the order moved."""
    members = [c for c in changes if c.path.startswith(f"spec.{field}")]
    if not members or replace:
        return default_change_reason(changes, replace=replace)
    old, new = strings_in(c.old for c in members), strings_in(c.new for c in members)
    parts = [f"{verbs[0]} {', '.join(sorted(new - old))}"] if new - old else []
    parts += [f"{verbs[1]} {', '.join(sorted(old - new))}"] if old - new else []
    others = [c for c in changes if c not in members]
    rest = default_change_reason(others, replace=False) if others else ""
    return "; ".join(p for p in (rest, *parts) if p) or unchanged


def strings_in(values: Iterable[object]) -> set[str]:
    """The strings on the old (or new) sides of a list's changes (lists are diffed by index, so
    a side is an item, or the whole list when the field is added or removed)."""
    found: set[str] = set()
    for value in values:
        if isinstance(value, list):
            found.update(str(v) for v in value)
        elif isinstance(value, str):
            found.add(value)
    return found


def adopt_reason_for(
    found: str, match: Match, ctx: PlanContext, *, how: str = "", made: str = "created"
) -> str:
    """`adopt <found> [how]; apply records it as managed by stack 'x'`, or `record <found>`
    when an interrupted apply of this stack `made` it (created, added, sent)."""
    if match.created_by_stack:
        return f"record {found}: {made} by an interrupted apply of this stack"
    return f"adopt {found}{how}; apply records it as managed by stack '{ctx.stack.name}'"


def default_change_reason(changes: Sequence[FieldChange], *, replace: bool) -> str:
    """`name: 'A' → 'B'`, or for a replace the fields forcing it."""
    shown = [c for c in changes if c.forces_replace] if replace else list(changes)
    parts = []
    for change in shown[:3]:
        field_name = change.path.removeprefix("spec.")
        if change.sensitive:
            parts.append(f"{field_name} changed")
        elif change.op == "add":
            parts.append(f"{field_name} set to {short(change.new)}")
        elif change.op == "remove":
            parts.append(f"{field_name} removed")
        else:
            parts.append(f"{field_name}: {short(change.old)} → {short(change.new)}")
    more = f" (+{len(shown) - 3} more)" if len(shown) > 3 else ""
    prefix = "forces replacement: " if replace else ""
    return prefix + "; ".join(parts) + more
