"""A plan that lowers a project's spend limit shows the last 30 days' cost against the new one.

Called by `cli._plan_with` after `planner.build_plan` (plan and apply, not drift). When a
Project change lowers `spend_limit.threshold_amount` (or sets a limit where there was none),
one request to the costs endpoint (`providers.usage.read_costs`, the projects concerned,
grouped by project and day) gives each project's daily cost, and the change gets a warning:
on which day of the last 30 the new limit would have been reached, or how much of it those
days spent. No such change: no request. The request is counted in the plan's `requests`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler.plan import Action, FieldChange, Plan, ResourceChange
from reconciler.providers.client import Clients
from reconciler.providers.usage import DAY, UsageReport, read_costs, window_start

DAYS = 30


def lowered_limit(change: ResourceChange) -> tuple[int | None, int] | None:
    """(old, new) spend limit in cents when `change` lowers or sets a Project's spend limit."""
    if change.kind != "Project" or change.action != Action.UPDATE or change.live_id is None:
        return None
    for field in change.changes:
        old, new = _limits(field)
        if new is not None and (old is None or new < old):
            return old, new
    return None


def _limits(field: FieldChange) -> tuple[int | None, int | None]:
    path = field.path.removeprefix("spec.")
    if path == "spend_limit.threshold_amount":
        return _cents(field.old), _cents(field.new)
    if path == "spend_limit":
        return _cents(_amount(field.old)), _cents(_amount(field.new))
    return None, None


def _amount(value: Any) -> Any:
    return value.get("threshold_amount") if isinstance(value, dict) else None


def _cents(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def warn_lowered_spend_limits(plan: Plan, clients: Clients) -> Plan:
    """`plan` with a warning on each change that lowers a spend limit (one costs request)."""
    lowered = {c.address: limits for c in plan.changes if (limits := lowered_limit(c))}
    if not lowered:
        return plan
    ids = sorted({str(c.live_id) for c in plan.changes if c.address in lowered})
    start = window_start(DAYS)
    report = UsageReport(start=start, days=DAYS)
    read_costs(clients, start, report, project_ids=ids)
    changes = []
    for change in plan.changes:
        if change.address in lowered:
            old, new = lowered[change.address]
            by_day = report.of(str(change.live_id)).cost_by_day
            warning = spend_warning(old, new, by_day, start)
            change = change.model_copy(update={"warnings": (*change.warnings, warning)})
        changes.append(change)
    return plan.model_copy(
        update={
            "changes": tuple(changes),
            "requests": plan.requests + report.requests,
            "minimum_requests": plan.minimum_requests + report.requests,
        }
    )


def spend_warning(old: int | None, new: int, cost_by_day: dict[int, float], start: int) -> str:
    """`spend_limit lowered from $80.00 to $50.00: the last 30 days cost $73.20; at the new
    limit it would have been reached on day 12 (2026-11-15)`, or how much of it they spent."""
    limit_usd = new / 100
    change = f"from ${old / 100:,.2f} to" if old is not None else "set to"
    total = 0.0
    reached: int | None = None
    for day in range(DAYS):
        total += cost_by_day.get(start + day * DAY, 0.0)
        if reached is None and total >= limit_usd:
            reached = day
    total = sum(cost_by_day.values())
    head = f"spend_limit {change} ${limit_usd:,.2f}: the last {DAYS} days cost ${total:,.2f}"
    if reached is None:
        return f"{head} ({100 * total / limit_usd:.0f}% of the new limit, not reached)"
    date = datetime.fromtimestamp(start + reached * DAY, UTC).date().isoformat()
    return f"{head}; at the new limit it would have been reached on day {reached + 1} ({date})"
