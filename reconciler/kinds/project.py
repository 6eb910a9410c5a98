"""Planning logic of `Project`: the desired name, and which live project a manifest manages.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. A manifest finds its live
project, in this order: the pinned `metadata.id`; the stack's ownership registry (address ->
id, recorded by apply, so a rename in Git is an in-place update and a rename outside Git is
drift); a pending registry entry left by an interrupted create of an older version (matched
by the name it was created with); finally the name alone, which adopts an existing project
(apply records it). A project found by name that was created after an unfinished apply of the
stack started (its lock is still there, or was just broken as stale) is that apply's own: it is
recorded as created by the stack, not adopted. Other active projects with the declared name
that nothing binds are reported as possible duplicates, never adopted.

Settings: only the declared ones are in the desired view, and the live project is seen through
them (`_seen_through`: the declared models and fields of `rate_limits`, the declared hosted
tools), so a model or setting left out is never compared. `residency` is create-only: a
manifest that declares another residency than the live project's is blocked, naming the field.
`revoke_unmanaged_keys`: the project's unmanaged API keys as warnings, or revokes
(`kinds/project_api_keys.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from reconciler.kinds.base import (
    Desired,
    ImportContext,
    Imported,
    Match,
    PlanContext,
    adopt_reason_for,
    default_change_reason,
    manifest_name,
)
from reconciler.kinds.project_api_keys import key_revokes, unmanaged_key_warnings
from reconciler.models.base import Resource
from reconciler.models.project import ProjectSpec
from reconciler.plan import FieldChange, ResourceChange
from reconciler.state import LiveObject, name_digest


class ProjectPlanner:
    kind = "Project"

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, ProjectSpec)
        view = {"name": spec.name, **_declared_settings(spec)}
        return Desired(view=view, payload=dict(view), blocked=_alerts_problem(spec))

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        found = self._match(resource, desired, ctx)
        if found.current is None:
            return found
        found = _seen_through(found, desired)
        assert found.current is not None
        keys = unmanaged_key_warnings(resource, found.current, ctx)
        if keys:
            found = replace(found, warnings=(*found.warnings, *keys))
        assert found.current is not None
        twins = _unbound_twins(str(desired.view["name"]), found.current, ctx)
        if not twins:
            return found
        ids = ", ".join(p.live_id for p in twins)
        warning = (
            f"{len(twins)} other active project(s) named '{desired.view['name']}' that this "
            f"stack does not manage: {ids} (a duplicate made outside Git, or by an apply that "
            f"ran without this stack's lock); this manifest manages {found.current.live_id}. "
            "Archive the extra project(s), or pin the right one with metadata.id"
        )
        return replace(found, warnings=(*found.warnings, warning))

    def import_spec(self, live: LiveObject, ctx: ImportContext) -> Imported:
        """The project's name, its id pinned (settings are left out: not managed until a
        manifest declares them)."""
        name = manifest_name(live.key)
        if not live.is_active:
            return Imported(name=name, reason=f"project {live.live_id} is archived")
        return Imported(name=name, spec={"name": live.key}, pin_id=True)

    def _match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        projects = ctx.live.of_kind(self.kind)
        if resource.metadata.id is not None:
            return _match_pinned(resource.metadata.id, projects)
        entry = ctx.live.ownership.entry(resource.address)
        if entry is not None and entry.live_id is not None:
            bound = _by_id(projects, entry.live_id)
            if bound is not None and bound.is_active:
                return Match(current=bound, created_by_stack=entry.created)
            note = f"its project {entry.live_id} was archived outside Git" if bound else None
            return _match_by_name(desired.view["name"], projects, ctx, note=note)
        if entry is not None and entry.name_digest is not None:
            found = _match_pending(entry.name_digest, projects, ctx)
            if found is not None:
                return Match(current=found, adopt=True, created_by_stack=entry.created)
        return _match_by_name(desired.view["name"], projects, ctx)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        reason = f"no live project is named '{desired.view['name']}'"
        return f"{reason} ({match.note})" if match.note else reason

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        return f"name is already '{desired.view['name']}'"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        rename = next((c for c in changes if c.path == "spec.name"), None)
        if rename is not None and len(changes) == 1 and not replace:
            return f"rename '{rename.old}' → '{rename.new}'"
        return default_change_reason(changes, replace=replace)

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        assert match.current is not None
        found = f"live project '{match.current.key}' ({match.current.live_id})"
        return adopt_reason_for(found, match, ctx, how=" by its name")

    def delete_reason(self, obj: LiveObject) -> str:
        return f"no manifest declares {obj.address} any more (live project '{obj.key}')"

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()

    def extra_changes(
        self, ctx: PlanContext, changes: Mapping[str, ResourceChange]
    ) -> list[tuple[ResourceChange, LiveObject]]:
        """The planner's hook after every line is planned: revokes of unmanaged API keys."""
        return key_revokes(ctx, changes)


def _declared_settings(spec: ProjectSpec) -> dict[str, Any]:
    """The settings the manifest declares, in the API's shapes (absent ones are not compared)."""
    settings: dict[str, Any] = {}
    if spec.residency is not None:
        settings["residency"] = spec.residency
    if spec.rate_limits is not None:
        settings["rate_limits"] = {m: limits.declared() for m, limits in spec.rate_limits.items()}
    if spec.spend_alerts is not None:  # by threshold, so a change shows at its own path
        settings["spend_alerts"] = {
            str(alert.threshold_amount): alert.model_dump(exclude_none=True)
            for alert in spec.spend_alerts
        }
    if spec.certificates is not None:
        settings["certificates"] = sorted(set(spec.certificates))
    for name in ("spend_limit", "model_permissions", "hosted_tool_permissions", "data_retention"):
        value = getattr(spec, name)
        if value is not None:
            settings[name] = value.model_dump(exclude_none=True)
    return settings


def _alerts_problem(spec: ProjectSpec) -> str | None:
    """Spend alerts are known by their threshold: two at the same one cannot both be managed."""
    thresholds = [alert.threshold_amount for alert in spec.spend_alerts or ()]
    twice = sorted({t for t in thresholds if thresholds.count(t) > 1})
    if not twice:
        return None
    return (
        f"spend_alerts: more than one alert at {', '.join(map(str, twice))} cents (an alert is "
        "known by its threshold_amount: give each a different one)"
    )


def _seen_through(found: Match, desired: Desired) -> Match:
    """`found` with its live settings cut to what the manifest declares; blocked when the
    residency differs or a declared rate limit does not exist in the project."""
    assert found.current is not None
    current = found.current
    attributes = dict(current.attributes)
    problem = _residency_problem(current, desired.view.get("residency"))
    if problem is None and "residency" in desired.view and attributes.get("residency") is None:
        attributes["residency"] = desired.view["residency"]  # not reported: cannot be checked
    limits = desired.view.get("rate_limits")
    if problem is None and limits is not None:
        live_limits = attributes.get("rate_limits") or {}
        problem = _rate_limit_problem(current.live_id, limits, live_limits)
        attributes["rate_limits"] = {
            model: {f: v for f, v in live_limits.get(model, {}).items() if f in fields}
            for model, fields in limits.items()
        }
    tools = desired.view.get("hosted_tool_permissions")
    if tools is not None and isinstance(attributes.get("hosted_tool_permissions"), dict):
        live_tools = attributes["hosted_tool_permissions"]
        attributes["hosted_tool_permissions"] = {t: live_tools.get(t) for t in tools}
    seen = current.model_copy(update={"attributes": attributes})
    return replace(found, current=seen, blocked=problem or found.blocked)


def _residency_problem(current: LiveObject, wanted: Any) -> str | None:
    live = current.attributes.get("residency")
    if wanted is None or live is None or live == wanted:
        return None
    return (
        f"residency is set when a project is created and cannot change: project "
        f"{current.live_id} has residency '{live}', the manifest declares '{wanted}' "
        f"(declare '{live}', or a new project for the new residency)"
    )


def _rate_limit_problem(
    live_id: str, limits: dict[str, dict[str, int]], live_limits: dict[str, dict[str, int]]
) -> str | None:
    missing = sorted(set(limits) - set(live_limits))
    if missing:
        return (
            f"rate_limits: project {live_id} has no rate limit for model(s) "
            f"{', '.join(missing)} (the API lists one per model the project may use)"
        )
    for model, fields in limits.items():
        extra = sorted(set(fields) - set(live_limits[model]))
        if extra:
            return (
                f"rate_limits.{model}: the API has no {', '.join(extra)} for model '{model}' "
                f"(it has {', '.join(sorted(live_limits[model])) or 'none'})"
            )
    return None


def _unbound_twins(name: str, current: LiveObject, ctx: PlanContext) -> list[LiveObject]:
    bound_ids = ctx.live.ownership.bound_ids()
    return [
        p
        for p in ctx.live.of_kind("Project")
        if p.key == name
        and p.is_active
        and p.live_id != current.live_id
        and p.live_id not in bound_ids
    ]


def _by_id(projects: list[LiveObject], live_id: str) -> LiveObject | None:
    return next((p for p in projects if p.live_id == live_id), None)


def _match_pinned(live_id: str, projects: list[LiveObject]) -> Match:
    pinned = _by_id(projects, live_id)
    if pinned is None:
        return Match(blocked=f"metadata.id {live_id}: no such project in the organization")
    if not pinned.is_active:
        return Match(blocked=f"metadata.id {live_id}: the project is archived")
    return Match(current=pinned)


def _match_pending(digest: str, projects: list[LiveObject], ctx: PlanContext) -> LiveObject | None:
    """The project an interrupted create made: named as the pending binding says, unbound."""
    bound_ids = ctx.live.ownership.bound_ids()
    named = [
        p
        for p in projects
        if name_digest(p.key) == digest and p.is_active and p.live_id not in bound_ids
    ]
    return max(named, key=lambda p: (p.created_at, p.live_id)) if named else None


def _match_by_name(
    name: str, projects: list[LiveObject], ctx: PlanContext, *, note: str | None = None
) -> Match:
    bound_ids = ctx.live.ownership.bound_ids()
    named = [p for p in projects if p.key == name and p.is_active and p.live_id not in bound_ids]
    if len(named) > 1:
        ids = ", ".join(p.live_id for p in named)
        return Match(
            blocked=f"{len(named)} live projects are named '{name}' ({ids}); "
            "pin one with metadata.id"
        )
    if named:
        since = ctx.live.ownership.unfinished_since
        made_by_us = since is not None and named[0].created_at >= since
        return Match(current=named[0], adopt=True, created_by_stack=made_by_us, note=note)
    return Match(note=note)
