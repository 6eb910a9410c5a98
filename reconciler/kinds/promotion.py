"""Planning logic of `Promotion`: the best candidate that passes every gate, decided in plan.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. Each candidate's (and the
baseline's) summary is read from its result file of its current digest (`run_summary`): a run
without one yet makes the Promotion wait; no candidate passing every gate blocks it (apply
exits 1) with each candidate's failed gates, and the previous winner stays the output;
otherwise the winner is the candidate with the highest pass rate on the first gate's
criterion, then the highest mean pass rate over all criteria, then the first listed. The plan
shows the decision as a table; apply records the winner in one `user_data` file
(`reconciler.evals.winners`): a new winner is an update.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.evals.promotion import Candidate, Decision, candidate_of, judge
from reconciler.kinds.base import Desired, Match, PlanContext, default_change_reason
from reconciler.kinds.eval_run import run_summary
from reconciler.models.base import Resource
from reconciler.models.promotion import PromotionSpec
from reconciler.plan import UNKNOWN, FieldChange
from reconciler.state import LiveObject


def decide(spec: PromotionSpec, ctx: PlanContext) -> Decision:
    """The decision of `spec` from the live result files. A candidate whose run this plan
    makes (no result yet, `via: responses`) defers it to apply (`Decision.deferred`)."""
    found: dict[str, Candidate] = {}
    deferred: dict[str, dict[str, Any]] = {}
    for address in dict.fromkeys((*spec.candidates, *([spec.baseline] if spec.baseline else []))):
        resource = ctx.stack.resources.get(address)
        if resource is None:
            return Decision(blocked=f"{address} is not declared")
        identity, summary = run_summary(resource, ctx)
        if isinstance(identity, str):
            return Decision(blocked=f"{address} is blocked: {identity}")
        if identity.waiting:
            return Decision(waiting=f"waits for {address}: {identity.waiting}")
        names = [g.name for g in identity.evaluation.testing_criteria]
        batch = getattr(resource.spec, "via", "batch") == "batch"
        run = {"digest": identity.digest, "model": identity.model, "names": names, "batch": batch}
        if summary is None and batch:
            return Decision(waiting=f"waits for {address}: its batch has no result yet")
        if summary is None:
            deferred[address] = run
            continue
        found[address] = candidate_of(address, identity.model, names, summary, batch=batch,
                                      digest=identity.digest)  # fmt: skip
        deferred[address] = run
    if any(a not in found for a in deferred):
        return Decision(deferred=deferred)
    return judge(found, spec.candidates, spec.baseline, spec.gate)


def previous_winner(address: str, ctx: PlanContext) -> LiveObject | None:
    """The newest winner record of the Promotion at `address` (read with the EvalRuns)."""
    records = [o for o in ctx.live.of_kind("Promotion") if o.address == address]
    return max(records, key=lambda o: (o.created_at or 0, o.live_id)) if records else None


class PromotionPlanner:
    kind = "Promotion"

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, PromotionSpec)
        decision = decide(spec, ctx)
        details = tuple(decision.table(spec.gate)) if decision.candidates else ()
        record = previous_winner(resource.address, ctx)
        if decision.blocked is not None:
            blocked = decision.blocked
            if record is not None:
                winner, model = record.attributes["winner"], record.attributes["model"]
                blocked += f"; the previous winner {winner} (model {model}) stays the output"
            return Desired(view={}, payload={}, details=details, blocked=blocked)
        if decision.deferred is not None:  # a candidate's run is made by this apply
            runs = sorted(a for a in decision.deferred)
            payload = {
                "stack": ctx.stack.name,
                "name": resource.name,
                "deferred": {a: dict(run) for a, run in decision.deferred.items()},
                "candidates": list(spec.candidates),
                "baseline": spec.baseline,
                "gates": [g.model_dump() for g in spec.gate],
                "runs": runs,
            }
            return Desired(view={"winner": UNKNOWN, "model": UNKNOWN}, payload=payload)
        winner = decision.winner
        if winner is None:  # waiting for a candidate's result
            view = dict(record.attributes) if record is not None else {}
            return Desired(view=view, payload={"waiting": decision.waiting}, details=details)
        losers = [
            f"{c.address} fails {', '.join(c.failed)}" for c in decision.candidates if c.failed
        ]
        payload = {
            "stack": ctx.stack.name,
            "name": resource.name,
            "run": winner.address.partition("/")[2],
            "digest": winner.digest,
            "model": winner.model,
            "losers": losers,
        }
        view = {"winner": winner.address, "model": winner.model}
        return Desired(view=view, payload=payload, details=details)

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        record = previous_winner(resource.address, ctx)
        waiting = desired.payload.get("waiting")
        if waiting:
            current = record or LiveObject(
                kind=self.kind,
                key=resource.name,
                live_id=f"pending:{resource.name}",
                attributes=dict(desired.view),
            )
            return Match(current=current, wait=waiting)
        return Match(current=record) if record is not None else Match()

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        if desired.payload.get("deferred"):
            runs = ", ".join(desired.payload["runs"])
            return f"decided once {runs} ran (in this apply), then the winner is recorded"
        words = f"record the winner {desired.view['winner']} (model {desired.view['model']})"
        return "; ".join([words, *desired.payload.get("losers", [])])

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        words = f"promotes {current.attributes['winner']} (model {current.attributes['model']})"
        return "; ".join([words, *desired.payload.get("losers", [])])

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        if any(c.new == UNKNOWN for c in changes):
            return "decided again once its candidates' new runs ran (in this apply)"
        return "a new winner: " + default_change_reason(changes, replace=False)

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        raise AssertionError("winner records are the stack's own, never adopted")

    def delete_reason(self, obj: LiveObject) -> str:
        return f"no manifest declares {obj.address} any more: delete its winner record"

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()
