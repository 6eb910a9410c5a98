"""Planning logic of `Organization`: the organization's declared settings against their live
values (read by `providers/organization.py`, one request per declared setting).

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. The live organization is
always there (`live_id` `organization`), so the plan is a no-op or an update, field by field;
an `Organization` manifest that declares a setting another one declares differently is blocked
(there is one organization).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.kinds.base import Desired, Match, PlanContext, default_change_reason
from reconciler.models.base import Resource
from reconciler.models.organization import OrganizationSpec
from reconciler.plan import FieldChange
from reconciler.state import LiveObject

ORGANIZATION = "Organization"
SETTINGS = ("spend_limit", "spend_alerts", "data_retention", "certificates")


def declared_settings(spec: OrganizationSpec) -> dict[str, Any]:
    """The settings the manifest declares, in the API's shapes (alerts keyed by threshold)."""
    found: dict[str, Any] = {}
    if spec.spend_limit is not None:
        found["spend_limit"] = spec.spend_limit.model_dump(exclude_none=True)
    if spec.spend_alerts is not None:
        found["spend_alerts"] = {
            str(alert.threshold_amount): alert.model_dump(exclude_none=True)
            for alert in spec.spend_alerts
        }
    if spec.data_retention is not None:
        found["data_retention"] = spec.data_retention.model_dump(exclude_none=True)
    return found


class OrganizationPlanner:
    kind = ORGANIZATION

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, OrganizationSpec)
        view = declared_settings(spec)
        blocked = None
        if spec.certificates is not None:
            live = next(iter(ctx.live.of_kind(ORGANIZATION)), None)
            known = dict(live.info.get("certificate_ids", {})) if live is not None else {}
            view["certificates"], blocked = resolve_certificates(spec.certificates, known)
        for other in ctx.stack.of_kind(ORGANIZATION):
            if other.address >= resource.address or not isinstance(other.spec, OrganizationSpec):
                continue
            theirs = declared_settings(other.spec)
            clash = sorted(k for k in view if k in theirs and theirs[k] != view[k])
            if clash:
                blocked = (
                    f"{other.address} declares the organization's {', '.join(clash)} "
                    "differently: there is one organization, declare each setting once"
                )
        thresholds = [a.threshold_amount for a in spec.spend_alerts or ()]
        twice = sorted({t for t in thresholds if thresholds.count(t) > 1})
        if twice:
            blocked = (
                f"spend_alerts: more than one alert at {', '.join(map(str, twice))} cents (an "
                "alert is known by its threshold_amount: give each a different one)"
            )
        return Desired(view=view, payload=dict(view), blocked=blocked)

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        live = next(iter(ctx.live.of_kind(ORGANIZATION)), None)
        if live is None:
            return Match(blocked="the organization's settings were not read")
        seen = {k: live.attributes.get(k) for k in desired.view}
        return Match(current=live.model_copy(update={"attributes": seen}))

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        return "the organization always exists"  # never planned: match always finds it

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        declared = ", ".join(desired.view) or "no setting"
        return f"the organization's {declared} match"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        return default_change_reason(changes, replace=replace)

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        return "the organization"  # never planned: the organization is never adopted

    def delete_reason(self, obj: LiveObject) -> str:
        return "the organization is never deleted"  # never planned: it has no address

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()


def resolve_certificates(wanted: list[str], known: dict[str, str]) -> tuple[list[str], str | None]:
    """Certificate ids for `wanted` ids or names (`known`: id or name -> id), sorted; and why
    the manifest is blocked when one is not an uploaded certificate."""
    missing = [c for c in wanted if c not in known]
    if missing:
        return [], (
            f"certificates: no uploaded certificate {', '.join(repr(c) for c in missing)} "
            "(upload it first: POST /organization/certificates; names must be unique)"
        )
    return sorted({known[c] for c in wanted}), None
