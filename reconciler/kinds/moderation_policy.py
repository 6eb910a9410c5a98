"""Planning logic of `ModerationPolicy`: a local kind, always a no-op in the plan.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. The Moderations API stores
nothing, so there is no live object to create or delete: the planner matches a local stand-in
(never read from or sent to the API) and says what the policy gates.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.kinds.base import Desired, Match, PlanContext
from reconciler.models.base import Resource
from reconciler.models.moderation_policy import LabelSelector, ModerationPolicySpec
from reconciler.plan import FieldChange
from reconciler.state import LiveObject


class ModerationPolicyPlanner:
    kind = "ModerationPolicy"

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, ModerationPolicySpec)
        targets = sorted(governed_datasets(spec, ctx))
        view = {"action": spec.action, "applies_to": targets}
        details = (f"{spec.action}s on {spec.model}: {', '.join(targets) or 'no dataset'}",)
        return Desired(view=view, payload={}, details=details)

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        local = LiveObject(
            kind=self.kind,
            key=resource.name,
            live_id=f"local:{resource.name}",
            attributes=dict(desired.view),
        )
        return Match(current=local)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        raise AssertionError("a moderation policy is local: never created")

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        return "local: nothing to create in the platform (moderation runs in plan)"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        raise AssertionError("a moderation policy is local: never changed")

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        raise AssertionError("a moderation policy is local: never adopted")

    def delete_reason(self, obj: LiveObject) -> str:
        raise AssertionError("a moderation policy is local: never deleted")

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()


def governed_datasets(spec: ModerationPolicySpec, ctx: PlanContext) -> set[str]:
    """The Dataset addresses a policy applies to: its references and its selectors' matches."""
    found: set[str] = set()
    for target in spec.applies_to:
        if isinstance(target, str):
            found.add(target)
        elif isinstance(target, LabelSelector):
            for resource in ctx.stack.of_kind(target.kind):
                labels = resource.metadata.labels
                if all(labels.get(k) == v for k, v in target.labels.items()):
                    found.add(resource.address)
    return found
