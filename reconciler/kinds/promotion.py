"""Planning logic of `Promotion`: the best candidate that passes every gate, decided in plan.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. Each candidate's (and the
baseline's) summary is read from its result file of its current digest (`run_summary`): a run
without one yet makes the Promotion wait; no candidate passing every gate blocks it (apply
exits 1) with each candidate's failed gates; otherwise the winner is the candidate with the
highest pass rate on the first gate's criterion, then the highest mean pass rate over all
criteria, then the first listed. The plan shows the decision as a table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from reconciler.evals.summary import Summary
from reconciler.kinds.base import Desired, Match, PlanContext
from reconciler.kinds.eval_run import run_summary
from reconciler.models.base import Resource
from reconciler.models.promotion import Gate, PromotionSpec
from reconciler.plan import FieldChange
from reconciler.state import LiveObject


@dataclass(frozen=True)
class Candidate:
    """One run's numbers: pass rate and mean score per criterion name, and its model."""

    address: str
    model: str
    rates: dict[str, float]
    means: dict[str, float]
    failed: tuple[str, ...] = field(default=())
    latency: str = "—"  # p50/p95 of the sampling calls (via: responses)
    cost: str = "—"  # per 1,000 items, from the tokens the samples used

    @property
    def mean_rate(self) -> float:
        return sum(self.rates.values()) / len(self.rates) if self.rates else 0.0


@dataclass(frozen=True)
class Decision:
    """The candidates with their failed gates, the baseline, and the winner (if any)."""

    candidates: tuple[Candidate, ...] = ()
    baseline: Candidate | None = None
    winner: Candidate | None = None
    waiting: str | None = None
    blocked: str | None = None

    def table(self, gates: Sequence[Gate]) -> list[str]:
        names = list(dict.fromkeys(n for c in self.candidates for n in c.rates))
        header = ["candidate", "model", *names, "p50/p95", "$/1k items", "gates"]
        rows = [header]
        for candidate in self.candidates:
            cells = [candidate.address, candidate.model]
            for name in names:
                cells.append(self._cell(candidate, name))
            cells += [candidate.latency, candidate.cost]
            verdict = "pass" if not candidate.failed else "fails " + "; ".join(candidate.failed)
            if candidate is self.winner:
                verdict += " (winner)"
            rows.append([*cells, verdict])
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        return [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]

    def _cell(self, candidate: Candidate, name: str) -> str:
        if name not in candidate.rates:
            return "—"
        text = f"{candidate.rates[name]:.0%} (mean {candidate.means[name]:.2f}"
        base = self.baseline
        if base is not None and name in base.rates and candidate.address != base.address:
            text += f", {candidate.rates[name] - base.rates[name]:+.0%} vs baseline"
        return text + ")"


def decide(spec: PromotionSpec, ctx: PlanContext) -> Decision:
    """The decision of `spec` from the live result files."""
    found: dict[str, Candidate] = {}
    for address in dict.fromkeys((*spec.candidates, *([spec.baseline] if spec.baseline else []))):
        resource = ctx.stack.resources.get(address)
        if resource is None:
            return Decision(blocked=f"{address} is not declared")
        identity, summary = run_summary(resource, ctx)
        if isinstance(identity, str):
            return Decision(blocked=f"{address} is blocked: {identity}")
        if identity.waiting:
            return Decision(waiting=f"waits for {address}: {identity.waiting}")
        if summary is None:
            return Decision(waiting=f"waits for {address}: no result of its current spec yet")
        names = [g.name for g in identity.evaluation.testing_criteria]
        batch = getattr(resource.spec, "via", "batch") == "batch"
        found[address] = _candidate(address, identity.model, names, summary, batch=batch)
    baseline = found.get(spec.baseline) if spec.baseline else None
    judged = tuple(_judged(found[a], spec.gate, baseline) for a in spec.candidates)
    passing = [c for c in judged if not c.failed]
    if not passing:
        why = "; ".join(f"{c.address} fails {', '.join(c.failed)}" for c in judged)
        return Decision(judged, baseline, blocked=f"no candidate passes every gate: {why}")
    first = spec.gate[0].criterion if spec.gate else None
    winner = max(
        passing,
        key=lambda c: (
            c.rates.get(first, 0.0) if first else c.mean_rate,
            c.mean_rate,
            -judged.index(c),
        ),
    )
    return Decision(judged, baseline, winner)


def _candidate(
    address: str, model: str, names: list[str], summary: Summary, *, batch: bool
) -> Candidate:
    rates = {name: summary.pass_rate(i) for i, name in enumerate(names)}
    means = {name: summary.criteria[i].mean for i, name in enumerate(names)}
    latency = "—"
    if summary.latency_ms is not None:
        latency = f"{summary.latency_ms[0]}/{summary.latency_ms[1]} ms"
    return Candidate(
        address, model, rates, means, latency=latency, cost=_cost(model, summary, batch)
    )


def _cost(model: str, summary: Summary, batch: bool) -> str:
    """USD per 1,000 items at the price table's prices (batch prices for `via: batch`)."""
    from reconciler.datasets.prices import PriceTable

    table = PriceTable.load()
    found = table.lookup(model)
    if summary.tokens is None or not summary.items or found is None:
        return "—"
    prices = found[1]
    if prices.input is None or prices.output is None:
        return "—"
    total = (summary.tokens[0] * prices.input + summary.tokens[1] * prices.output) / 1_000_000
    if batch:
        total *= 1 - table.batch_discount
    return f"${total / summary.items * 1000:,.2f}"


def _judged(candidate: Candidate, gates: Sequence[Gate], baseline: Candidate | None) -> Candidate:
    failed = []
    for gate in gates:
        rate = candidate.rates.get(gate.criterion)
        if rate is None:
            failed.append(f"has no criterion '{gate.criterion}'")
        elif gate.min_pass_rate is not None and rate < gate.min_pass_rate:
            failed.append(f"{gate.criterion} {rate:.0%} < {gate.min_pass_rate:.0%}")
        elif gate.beat_baseline_by is not None and baseline is not None:
            base = baseline.rates.get(gate.criterion, 0.0)
            if rate - base < gate.beat_baseline_by:
                wanted = f"+{gate.beat_baseline_by:.0%}"
                failed.append(f"{gate.criterion} {rate - base:+.0%} vs baseline < {wanted}")
    return dataclasses.replace(candidate, failed=tuple(failed))


class PromotionPlanner:
    kind = "Promotion"

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, PromotionSpec)
        decision = decide(spec, ctx)
        details = tuple(decision.table(spec.gate)) if decision.candidates else ()
        if decision.blocked is not None:
            return Desired(view={}, payload={}, details=details, blocked=decision.blocked)
        winner = decision.winner
        view = {
            "winner": winner.address if winner else None,
            "model": winner.model if winner else None,
        }
        losers = [
            f"{c.address} fails {', '.join(c.failed)}" for c in decision.candidates if c.failed
        ]
        payload = {"waiting": decision.waiting, "losers": losers}
        return Desired(view=view, payload=payload, details=details)

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        local = LiveObject(
            kind=self.kind,
            key=resource.name,
            live_id=f"local:{resource.name}",
            attributes=dict(desired.view),
        )
        return Match(current=local, wait=desired.payload.get("waiting"))

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        raise AssertionError("a promotion is local: never created")

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        words = f"promotes {current.attributes['winner']} (model {current.attributes['model']})"
        return "; ".join([words, *desired.payload.get("losers", [])])

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        raise AssertionError("a promotion is local: never changed")

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        raise AssertionError("a promotion is local: never adopted")

    def delete_reason(self, obj: LiveObject) -> str:
        raise AssertionError("a promotion is local: never deleted")

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()
