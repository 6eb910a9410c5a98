"""The plan's cost summary (Infracost-style): what this plan adds to the stack's spend.

Pure, from a `Plan`: each billed resource carries `ResourceChange.cost` (its kind planner's
estimate: training for a FineTune, the batch for a Batch, the samples for an EvalRun). A
create or replace spends it; objects kept as they are (no change, in progress, updated in
place) are the spend so far (a replaced object's own spend is not known, so not counted);
deletes refund nothing. `render.py` shows it in every format, and the
policies read it from the plan JSON (`cost`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.plan import Action, Plan

CATEGORIES = (("training", "training"), ("batch", "batches"), ("eval", "eval runs"))
_SPENDS = (Action.CREATE, Action.REPLACE)
_MADE = (Action.NOOP, Action.WAIT, Action.UPDATE)


@dataclass
class CostRow:
    """One category: how many resources this plan makes, and the estimates."""

    category: str
    label: str
    resources: int = 0  # created or replaced by this plan
    previous_usd: float = 0.0  # estimated spend of the ones already made
    adds_usd: float = 0.0
    unpriced: list[str] = field(default_factory=list)  # addresses made without a price

    @property
    def after_usd(self) -> float:
        return self.previous_usd + self.adds_usd


@dataclass
class CostSummary:
    rows: list[CostRow]

    @property
    def previous_usd(self) -> float:
        return sum(row.previous_usd for row in self.rows)

    @property
    def adds_usd(self) -> float:
        return sum(row.adds_usd for row in self.rows)

    @property
    def after_usd(self) -> float:
        return self.previous_usd + self.adds_usd

    @property
    def unpriced(self) -> list[str]:
        return [address for row in self.rows for address in row.unpriced]

    def delta(self) -> str:
        """`+$0.13 (+50%)`: what the plan adds, against the spend so far when there is one."""
        text = f"+{usd(self.adds_usd)}"
        if self.previous_usd > 0:
            text += f" (+{self.adds_usd / self.previous_usd:.0%})"
        return text

    def line(self) -> str:
        """One sentence for the human plan."""
        parts = ", ".join(f"{row.label} {usd(row.adds_usd)}" for row in self.rows)
        text = (
            f"Estimated spend: this plan adds {usd(self.adds_usd)} ({parts}); stack total "
            f"{usd(self.previous_usd)} → {usd(self.after_usd)}"
        )
        if self.previous_usd > 0:
            text += f" (+{self.adds_usd / self.previous_usd:.0%})"
        text += "."
        if self.unpriced:
            text += f" Not priced: {', '.join(self.unpriced)}."
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": "USD",
            "previous": round(self.previous_usd, 6),
            "adds": round(self.adds_usd, 6),
            "after": round(self.after_usd, 6),
            "by_category": {
                row.category: {
                    "resources": row.resources,
                    "previous": round(row.previous_usd, 6),
                    "adds": round(row.adds_usd, 6),
                    "after": round(row.after_usd, 6),
                    "unpriced": row.unpriced,
                }
                for row in self.rows
            },
        }


def cost_summary(plan: Plan) -> CostSummary | None:
    """The summary, or None when no resource of the plan is billed (nothing to say)."""
    rows = {category: CostRow(category, label) for category, label in CATEGORIES}
    billed = False
    for change in plan.changes:
        cost = change.cost
        if cost is None:
            continue
        billed = True
        row = rows[cost.category]
        if change.action in _SPENDS:
            row.resources += 1
            if cost.usd is None:
                row.unpriced.append(change.address)
            else:
                row.adds_usd += cost.usd
        elif change.action in _MADE and cost.usd is not None:
            row.previous_usd += cost.usd
    return CostSummary(list(rows.values())) if billed else None


def usd(amount: float) -> str:
    """Dollars with cents, or with four decimals below a cent (`$0.0042`)."""
    if 0 < amount < 0.01:
        return f"${amount:,.4f}"
    return f"${amount:,.2f}"
