"""A Promotion's decision (pure): candidates' numbers, gates, the winner, the table.

`kinds/promotion.py` calls `judge` in plan with the summaries read from the live result files;
the Promotion provider calls it at apply time when a candidate's run is made by the same apply
(its result file exists only then). Both build `Candidate`s with `candidate_of` from a run's
`Summary`. The winner is the passing candidate with the highest pass rate on the first gate's
criterion, then the highest mean pass rate over all criteria, then the first listed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.evals.summary import Summary
from reconciler.models.promotion import Gate


@dataclass(frozen=True)
class Candidate:
    """One run's numbers: pass rate and mean score per criterion name, and its model."""

    address: str
    model: str
    rates: dict[str, float]
    means: dict[str, float]
    failed: tuple[str, ...] = field(default=())
    digest: str = ""  # of the run whose result file these numbers come from
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
    deferred: Mapping[str, Mapping[str, Any]] | None = None
    """Runs made by this apply: the decision is taken once their result files exist."""

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


def judge(
    found: Mapping[str, Candidate],
    candidates: Sequence[str],
    baseline_address: str | None,
    gates: Sequence[Gate],
) -> Decision:
    """The decision over `found` (every candidate's and the baseline's numbers)."""
    baseline = found.get(baseline_address) if baseline_address else None
    judged = tuple(_judged(found[a], gates, baseline) for a in candidates)
    passing = [c for c in judged if not c.failed]
    if not passing:
        why = "; ".join(f"{c.address} fails {', '.join(c.failed)}" for c in judged)
        return Decision(judged, baseline, blocked=f"no candidate passes every gate: {why}")
    first = gates[0].criterion if gates else None
    winner = max(
        passing,
        key=lambda c: (
            c.rates.get(first, 0.0) if first else c.mean_rate,
            c.mean_rate,
            -judged.index(c),
        ),
    )
    return Decision(judged, baseline, winner)


def candidate_of(
    address: str, model: str, names: Sequence[str], summary: Summary, *, batch: bool, digest: str
) -> Candidate:
    """A run's numbers from its summary (`names`: its Eval's criteria, in order)."""
    rates = {name: summary.pass_rate(i) for i, name in enumerate(names)}
    means = {name: summary.criteria[i].mean for i, name in enumerate(names)}
    latency = "—"
    if summary.latency_ms is not None:
        latency = f"{summary.latency_ms[0]}/{summary.latency_ms[1]} ms"
    cost = _cost(model, summary, batch)
    return Candidate(address, model, rates, means, (), digest, latency, cost)


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
