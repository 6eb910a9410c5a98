"""Cost and token usage per project, from the Administration API's usage and costs endpoints.

Read by `reconciler usage` (`commands/usage.py`) and by the plan's spend-limit check
(`providers/spend_check.py`). Both endpoints answer in daily buckets; one request is a page of
buckets grouped by `project_id` (costs: up to 180 days a page, completions: 31), so a report of
the last 30 days is one request to each, whatever the number of projects. Each request holds
one of `clients.admin_slots` and goes through the run's admin budget like every admin read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dt_time
from typing import Any

from openai import omit

from reconciler.models.shutdowns import today
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors

DAY = 86400
COSTS_PAGE_DAYS = 180  # the costs endpoint's largest `limit` of daily buckets
USAGE_PAGE_DAYS = 31  # the completions endpoint's, with bucket_width=1d


def window_start(days: int) -> int:
    """The start of the window of the last `days` days, today included (UTC midnight; today
    is `RECONCILER_TODAY` when set, as for the model shutdown dates)."""
    midnight = datetime.combine(today(), dt_time(0), tzinfo=UTC)
    return int(midnight.timestamp()) - (days - 1) * DAY


@dataclass
class ProjectUsage:
    """One project's usage over the window: cost by day (bucket start -> USD) and tokens."""

    cost_by_day: dict[int, float] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    requests: int = 0

    @property
    def cost_usd(self) -> float:
        return round(float(sum(self.cost_by_day.values())), 6)


@dataclass
class UsageReport:
    """Usage by project id over [start, now), and the admin requests it took."""

    start: int
    days: int
    projects: dict[str, ProjectUsage] = field(default_factory=dict)
    requests: int = 0

    def of(self, project_id: str) -> ProjectUsage:
        return self.projects.setdefault(project_id, ProjectUsage())


def _pages(
    clients: Clients, what: str, fetch: Callable[[str | None], Any]
) -> Iterator[tuple[Any, int]]:
    """Each page of a bucketed report (following `next_page`), with a count of one request."""
    page: str | None = None
    while True:
        with clients.admin_slots, api_errors(what):
            answer = fetch(page)
        yield answer, 1
        page = getattr(answer, "next_page", None)
        if not getattr(answer, "has_more", False) or not page:
            return


def read_costs(
    clients: Clients, start: int, report: UsageReport, project_ids: list[str] | None = None
) -> None:
    """Daily costs by project since `start` into `report` (one request per 180 days)."""
    usage = clients.reader().admin.organization.usage

    def fetch(page: str | None) -> Any:
        return usage.costs(
            start_time=start,
            bucket_width="1d",
            group_by=["project_id"],
            limit=COSTS_PAGE_DAYS,
            project_ids=project_ids or omit,
            page=page or omit,
        )

    for answer, count in _pages(clients, "read the organization's costs", fetch):
        report.requests += count
        for bucket in answer.data:
            for result in bucket.results:
                project = getattr(result, "project_id", None)
                amount = getattr(result, "amount", None)
                value = float(getattr(amount, "value", 0.0) or 0.0)
                if project is None:
                    continue
                days = report.of(project).cost_by_day
                days[bucket.start_time] = days.get(bucket.start_time, 0.0) + value


def read_completions(clients: Clients, start: int, report: UsageReport) -> None:
    """Tokens and model requests by project since `start` (one request per 31 days)."""
    usage = clients.reader().admin.organization.usage

    def fetch(page: str | None) -> Any:
        return usage.completions(
            start_time=start,
            bucket_width="1d",
            group_by=["project_id"],
            limit=USAGE_PAGE_DAYS,
            page=page or omit,
        )

    for answer, count in _pages(clients, "read the organization's completions usage", fetch):
        report.requests += count
        for bucket in answer.data:
            for result in bucket.results:
                project = getattr(result, "project_id", None)
                if project is None:
                    continue
                row = report.of(project)
                row.input_tokens += int(getattr(result, "input_tokens", 0) or 0)
                row.output_tokens += int(getattr(result, "output_tokens", 0) or 0)
                row.cached_tokens += int(getattr(result, "input_cached_tokens", 0) or 0)
                row.requests += int(getattr(result, "num_model_requests", 0) or 0)


def read_usage(clients: Clients, days: int) -> UsageReport:
    """Costs and completions usage of every project over the last `days` days."""
    start = window_start(days)
    report = UsageReport(start=start, days=days)
    read_costs(clients, start, report)
    read_completions(clients, start, report)
    return report
