"""Planning logic of `ModerationPolicy`: a local kind, always a no-op in the plan.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. The Moderations API stores
nothing, so there is no live object to create or delete: the planner matches a local stand-in
(never sent to the API) and says what the policy gates and, per dataset, how many lines its
reader's moderation checked and flagged (`policy_findings`, from the live object's `info`).
The Dataset planner blocks or warns on those findings.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.kinds.base import Desired, Match, PlanContext, local_match
from reconciler.models.base import Resource
from reconciler.models.moderation_policy import ModerationPolicySpec
from reconciler.moderation import PolicyFindings, governed_datasets
from reconciler.plan import FieldChange
from reconciler.state import LiveObject


class ModerationPolicyPlanner:
    kind = "ModerationPolicy"

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, ModerationPolicySpec)
        targets = sorted(governed_datasets(spec, ctx.stack))
        view = {"action": spec.action, "applies_to": targets}
        details = [f"{spec.action}s on {spec.model}: {', '.join(targets) or 'no dataset'}"]
        found = policy_findings(ctx, resource.address)
        if found is not None:
            details += [f"{a}: {f.summary()}" for a, f in sorted(found.datasets.items())]
            details.append(_requests_line(found))
        return Desired(view=view, payload={}, details=tuple(details))

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        return local_match(self.kind, resource, desired)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        raise AssertionError("a moderation policy is local: never created")

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        if len(desired.details) > 1:  # what its reader's moderation found, per dataset
            return "local; moderated in plan: " + "; ".join(desired.details[1:])
        return "local: nothing to create in the platform (moderation runs in plan)"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        raise AssertionError("a moderation policy is local: never changed")

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        raise AssertionError("a moderation policy is local: never adopted")

    def delete_reason(self, obj: LiveObject) -> str:
        raise AssertionError("a moderation policy is local: never deleted")

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()


def policy_findings(ctx: PlanContext, address: str) -> PolicyFindings | None:
    """What the policy's reader found (None when it moderated nothing: no dataset governed)."""
    for obj in ctx.live.of_kind("ModerationPolicy"):
        if obj.address == address:
            return PolicyFindings.from_info(obj.info)
    return None


def _requests_line(found: PolicyFindings) -> str:
    if found.requests == 0:
        return f"moderation: {found.texts} texts, all cached: no request sent"
    requests = f"{found.requests} request{'s' if found.requests != 1 else ''}"
    return f"moderation: {found.texts} texts, {found.cached} cached, {requests} sent"
