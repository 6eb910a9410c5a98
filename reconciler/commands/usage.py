"""`reconciler usage [PATH] [--days N]`: cost and tokens per project, next to its budget.

Registered in `cli.LazyGroup.lazy`. Reads the stack's manifests (no plan), finds each declared
Project's live id (the stack's ownership registry, else the project's name, from one projects
listing), then the organization's costs and completions usage of the last N days grouped by
project (`providers.usage`: one request each for up to 31 days) and prints, per declared
project, the cost and tokens beside the `spend_limit` and `spend_alerts` its manifest
declares; the other projects of the organization are summed on one line. `--format json`
gives the same as one JSON document. Needs the admin key (the Administration API).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler import cli as commands
from reconciler.errors import ConfigError

if TYPE_CHECKING:
    from reconciler.manifests import Stack
    from reconciler.providers import Clients
    from reconciler.providers.usage import ProjectUsage, UsageReport

DEFAULT_DAYS = 30
MAX_DAYS = 180  # what the costs endpoint keeps in one page of daily buckets


@dataclass(frozen=True)
class DeclaredProject:
    """A Project manifest, its live id (None: not created yet) and its declared budget."""

    address: str
    name: str
    live_id: str | None
    spend_limit_cents: int | None
    alert_cents: tuple[int, ...]


@click.command("usage")
@commands.path_argument
@click.option(
    "--days",
    type=click.IntRange(1, MAX_DAYS),
    default=DEFAULT_DAYS,
    show_default=True,
    help="How many days back, today included.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["human", "json"]),
    default="human",
    show_default=True,
    help="A table, or one JSON document.",
)
@commands.stack_option
@commands.sandbox_option
def usage_command(
    path: Path, days: int, fmt: str, stack_name: str | None, use_sandbox: bool
) -> None:
    """Cost and tokens of each declared project over the last N days, next to its spend limit
    and alerts (needs OPENAI_ADMIN_KEY: the Administration API's usage and costs)."""
    from reconciler.manifests import load_stack
    from reconciler.providers.usage import read_usage

    if path.is_file():
        raise ConfigError(f"{path} is a file: give the folder that holds reconciler.yaml")
    stack = load_stack(path, stack_name=stack_name)
    with commands._clients(use_sandbox, stack.root) as clients:
        clients.require_admin_key("read the organization's usage and costs")
        clients.admin_budget.configure(stack.config.admin_requests_per_minute)
        declared = declared_projects(stack, clients)
        report = read_usage(clients, days)
    rows = usage_rows(declared, report)
    if fmt == "json":
        click.echo(json.dumps(as_json(stack.name, report, rows), indent=2))
        return
    for line in usage_table(report, rows):
        click.echo(line)


def declared_projects(stack: Stack, clients: Clients) -> list[DeclaredProject]:
    """Each Project manifest with its live id: bound by the stack's registry, else by name."""
    from reconciler.providers.files import list_files
    from reconciler.providers.ownership import read_ownership
    from reconciler.providers.projects import list_projects, project_objects
    from reconciler.state import HOME_PROJECT

    resources = stack.of_kind("Project")
    if not resources:
        return []
    ownership = read_ownership(clients, stack.name, list_files(clients, HOME_PROJECT))
    live = [p for p in project_objects(list_projects(clients), ownership) if p.status != "archived"]
    found = []
    for resource in sorted(resources, key=lambda r: r.address):
        spec: Any = resource.spec
        match = next((p for p in live if p.address == resource.address), None)
        match = match or next((p for p in live if p.key == spec.name and not p.address), None)
        limit = spec.spend_limit.threshold_amount if spec.spend_limit is not None else None
        alerts = tuple(sorted(a.threshold_amount for a in spec.spend_alerts or ()))
        found.append(
            DeclaredProject(
                address=resource.address,
                name=spec.name,
                live_id=match.live_id if match is not None else None,
                spend_limit_cents=limit,
                alert_cents=alerts,
            )
        )
    return found


@dataclass(frozen=True)
class UsageRow:
    project: DeclaredProject | None  # None: the organization's other projects, summed
    usage: ProjectUsage


def usage_rows(declared: list[DeclaredProject], report: UsageReport) -> list[UsageRow]:
    from reconciler.providers.usage import ProjectUsage

    rows = [UsageRow(p, report.projects.get(p.live_id or "", ProjectUsage())) for p in declared]
    ours = {p.live_id for p in declared}
    others = ProjectUsage()
    for project_id, usage in report.projects.items():
        if project_id in ours:
            continue
        for day, usd in usage.cost_by_day.items():
            others.cost_by_day[day] = others.cost_by_day.get(day, 0.0) + usd
        others.input_tokens += usage.input_tokens
        others.output_tokens += usage.output_tokens
        others.cached_tokens += usage.cached_tokens
        others.requests += usage.requests
    if others.cost_by_day or others.requests:
        rows.append(UsageRow(None, others))
    return rows


def dollars(value: float) -> str:
    """`$12.34`; a small amount keeps four decimals (`$0.0129`), as a few calls cost."""
    return f"${value:,.2f}" if value == 0 or value >= 1 else f"${value:.4f}"


def _usd(cents: int | None) -> str:
    return "-" if cents is None else f"${cents / 100:,.2f}"


def _share(usage: ProjectUsage, project: DeclaredProject | None) -> str:
    if project is None or not project.spend_limit_cents:
        return "-"
    return f"{100 * usage.cost_usd / (project.spend_limit_cents / 100):.0f}%"


def usage_table(report: UsageReport, rows: list[UsageRow]) -> list[str]:
    """The human table: one line per declared project (and one for the others)."""
    from datetime import UTC, datetime

    since = datetime.fromtimestamp(report.start, UTC).date().isoformat()
    if not rows:
        return [f"No Project in this stack, and no usage since {since}."]
    header = (
        "project",
        "id",
        "cost",
        "input tokens",
        "output tokens",
        "requests",
        "spend limit",
        "of limit",
        "alerts",
    )
    table = [header]
    for row in rows:
        project, usage = row.project, row.usage
        table.append(
            (
                project.address if project else "(other projects)",
                (project.live_id or "(not created)") if project else "",
                dollars(usage.cost_usd),
                f"{usage.input_tokens:,}",
                f"{usage.output_tokens:,}",
                f"{usage.requests:,}",
                _usd(project.spend_limit_cents) if project else "",
                _share(usage, project),
                ", ".join(_usd(a) for a in project.alert_cents) or "-" if project else "",
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    right = {2, 3, 4, 5, 6, 7}
    lines = [
        f"Usage of the last {report.days} days (since {since} UTC); spend limits and alerts "
        "(monthly) as the manifests declare them.",
        "",
    ]
    for line in table:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    total = sum(row.usage.cost_usd for row in rows)
    lines += ["", f"Total: {dollars(total)} ({report.requests} usage and cost requests)."]
    return lines


def as_json(stack: str, report: UsageReport, rows: list[UsageRow]) -> dict[str, Any]:
    from datetime import UTC, datetime

    def one(row: UsageRow) -> dict[str, Any]:
        project, usage = row.project, row.usage
        return {
            "address": project.address if project else None,
            "name": project.name if project else None,
            "project_id": project.live_id if project else None,
            "cost_usd": usage.cost_usd,
            "cost_by_day": {
                datetime.fromtimestamp(day, UTC).date().isoformat(): round(usd, 6)
                for day, usd in sorted(usage.cost_by_day.items())
            },
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "input_cached_tokens": usage.cached_tokens,
            "num_model_requests": usage.requests,
            "spend_limit_cents": project.spend_limit_cents if project else None,
            "spend_alert_cents": list(project.alert_cents) if project else [],
        }

    return {
        "stack": stack,
        "days": report.days,
        "start_time": report.start,
        "requests": report.requests,
        "projects": [one(row) for row in rows if row.project is not None],
        "other_projects": next((one(r) for r in rows if r.project is None), None),
    }
