"""The plan's cost summary (reconciler/costs.py) on plans written as data: what counts as spent
so far, what the plan adds, what is not priced, and how each format shows it."""

from __future__ import annotations

import json

from reconciler.costs import cost_summary
from reconciler.plan import Action, Cost, Plan, ResourceChange
from reconciler.render import render_plan


def change(address: str, action: Action, cost: Cost | None) -> ResourceChange:
    kind, _, name = address.partition("/")
    return ResourceChange(
        address=address, kind=kind, name=name, action=action, reason="r", cost=cost
    )


def plan(*changes: ResourceChange) -> Plan:
    return Plan(
        stack="demo",
        created_at="2026-12-02T00:00:00Z",
        manifests_path="specs",
        manifest_fingerprint="m",
        state_fingerprint="s",
        changes=changes,
    )


MIXED = plan(
    change("FineTune/old", Action.NOOP, Cost(category="training", usd=2.0)),
    change("FineTune/new", Action.CREATE, Cost(category="training", usd=1.0)),
    change("Batch/b", Action.REPLACE, Cost(category="batch", usd=0.5)),
    change("EvalRun/e", Action.CREATE, Cost(category="eval", usd=None, basis="no price")),
    change("Batch/gone", Action.DELETE, Cost(category="batch", usd=9.0)),
    change("Project/p", Action.CREATE, None),
)


def test_creates_and_replaces_spend_kept_objects_are_the_spend_so_far() -> None:
    summary = cost_summary(MIXED)
    assert summary is not None
    assert (summary.previous_usd, summary.adds_usd, summary.after_usd) == (2.0, 1.5, 3.5)
    assert summary.unpriced == ["EvalRun/e"]
    assert summary.delta() == "+$1.50 (+75%)"
    rows = {row.category: (row.resources, row.previous_usd, row.adds_usd) for row in summary.rows}
    assert rows == {"training": (1, 2.0, 1.0), "batch": (1, 0.0, 0.5), "eval": (1, 0.0, 0.0)}


def test_a_plan_with_nothing_billed_has_no_summary() -> None:
    assert cost_summary(plan(change("Project/p", Action.CREATE, None))) is None
    assert "Estimated spend" not in render_plan(plan(change("Project/p", Action.CREATE, None)))


def test_every_format_shows_it() -> None:
    human = render_plan(MIXED, "human")
    assert (
        "Estimated spend: this plan adds $1.50 (training $1.00, batches $0.50, eval runs "
        "$0.00); stack total $2.00 → $3.50 (+75%). Not priced: EvalRun/e." in human
    )
    markdown = render_plan(MIXED, "markdown")
    assert "| batches | 1 | $0.00 | +$0.50 | $0.50 |" in markdown
    assert "| **total** | 3 | $2.00 | **+$1.50 (+75%)** | $3.50 |" in markdown
    assert "Not priced (no price for the model): EvalRun/e." in markdown
    cost = json.loads(render_plan(MIXED, "json"))["cost"]
    assert (cost["previous"], cost["adds"], cost["after"]) == (2.0, 1.5, 3.5)
    assert cost["by_category"]["eval"]["unpriced"] == ["EvalRun/e"]


def test_small_amounts_keep_four_decimals() -> None:
    tiny = plan(change("EvalRun/e", Action.CREATE, Cost(category="eval", usd=0.0042)))
    assert "this plan adds $0.0042" in render_plan(tiny, "human")
