"""Planning logic of `Eval`: a local definition, always a no-op in the plan.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. The hosted Evals API is
gone, so nothing is created in the platform: the planner matches a local stand-in (never sent
to the API) whose identity is the digest of the spec, and says what the eval grades. Its
EvalRuns hash the same spec into their own identity (`kinds/eval_run.py`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from reconciler.kinds.base import Desired, Match, PlanContext, local_match
from reconciler.models.base import Resource
from reconciler.models.eval import EvalSpec
from reconciler.plan import FieldChange
from reconciler.state import LiveObject


def eval_digest(spec: EvalSpec) -> str:
    """sha256 of the spec's canonical JSON: what an EvalRun's identity includes."""
    text = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class EvalPlanner:
    kind = "Eval"

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, EvalSpec)
        criteria = [f"{g.name} ({g.type})" for g in spec.testing_criteria]
        view = {"digest": eval_digest(spec)[:16]}
        return Desired(view=view, payload={}, details=(f"criteria: {', '.join(criteria)}",))

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        return local_match(self.kind, resource, desired)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        raise AssertionError("an eval is local: never created")

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        return f"local (spec {current.attributes['digest'][:8]}); {desired.details[0]}"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        raise AssertionError("an eval is local: never changed")

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        raise AssertionError("an eval is local: never adopted")

    def delete_reason(self, obj: LiveObject) -> str:
        raise AssertionError("an eval is local: never deleted")

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()
