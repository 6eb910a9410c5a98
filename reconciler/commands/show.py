"""`reconciler show Kind/name [PATH]`: one object as it is live (FineTune, Promotion).

Called by `cli.show` when its argument is an address rather than a saved plan. Finds the
object's live id the way plan does (the stack's plan), then reads the job, its last events and
its result file (`providers.fine_tuning.job_details`) and prints them, with a compact text
chart of the loss when stdout is a terminal (`commands.chart`); `--plot FILE.png` draws the
loss and accuracy curves (`commands.plot`, the optional `plot` extra). A Promotion shows its
plan line and the decision table the plan made (`kinds/promotion.py`): candidate × criterion,
latency p50/p95, cost per 1,000 items, gates.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from reconciler import cli as commands
from reconciler.errors import ConfigError
from reconciler.plan import Action, ResourceChange
from reconciler.state import HOME_PROJECT

SHOWN_KINDS = ("FineTune", "Promotion")
TABLE_ROWS = 12  # metrics rows printed: evenly spread over the steps, the last one included
COLUMNS = (
    "step",
    "train_loss",
    "train_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
)


def show_live(
    address: str, path: Path, stack_name: str | None, use_sandbox: bool, plot: Path | None
) -> None:
    """Print the live object at `address` of the stack under `path`; draw its plot if asked."""
    from reconciler.providers.fine_tuning import job_details

    kind = address.partition("/")[0]
    if kind not in SHOWN_KINDS:
        raise ConfigError(f"show {address}: only {', '.join(SHOWN_KINDS)} objects can be shown")
    stack, reports = commands._load_offline(path, stack_name)
    if address not in stack.resources:
        raise ConfigError(f"no manifest under {path} declares {address}")
    with commands._clients(use_sandbox, stack.root) as clients:
        plan = commands._plan_with(stack, reports, clients, str(path), mode="apply")
        change = next((c for c in plan.changes if c.address == address), None)
        if kind == "Promotion":
            for line in describe_promotion(address, change):
                click.echo(line)
            return
        if change is None or change.live_id is None:
            why = change.reason if change is not None else "not planned"
            raise ConfigError(f"{address} has no job yet ({why}): run `reconciler apply`")
        project = str(change.live_attributes.get("project", HOME_PROJECT))
        details = job_details(clients, project, change.live_id)
    for line in describe_job(address, details.job, details.events, details.metrics):
        click.echo(line)
    if is_terminal():
        from reconciler.commands.chart import loss_chart

        for line in loss_chart(details.metrics):
            click.echo(line)
    if plot is not None:
        from reconciler.commands.plot import plot_metrics

        plot_metrics(details.metrics, plot, title=f"{address} ({change.live_id})")
        click.echo(f"Wrote the loss and accuracy by step to {plot}.")


def describe_promotion(address: str, change: ResourceChange | None) -> list[str]:
    """A Promotion's plan line (its winner, or why it waits or is blocked) and its decision
    table (empty until a candidate has results)."""
    if change is None:
        return [f"{address}: not planned"]
    action = "" if change.action is Action.NOOP else f" {change.action.value}:"
    lines = [f"{address}:{action} {change.reason}"]
    if change.details:
        lines += ["", *change.details]
    return lines


def is_terminal() -> bool:
    """Whether stdout is a terminal (the loss chart is for eyes, not logs)."""
    return sys.stdout.isatty()


def describe_job(
    address: str, job: Any, events: list[Any], metrics: list[dict[str, float]]
) -> list[str]:
    """The job in lines: status, models, tokens, hyperparameters, events, metrics table."""
    lines = [
        f"{address}  {job.id}",
        f"  status:          {job.status}",
        f"  base model:      {job.model}",
        f"  model:           {job.fine_tuned_model or '(none yet)'}",
        f"  trained tokens:  {job.trained_tokens:,}" if job.trained_tokens else "",
    ]
    if job.error is not None and job.error.message:
        lines.append(f"  error:           {job.error.message}")
    method = job.method.model_dump(mode="json", exclude_none=True) if job.method else {}
    hyper = (method.get(method.get("type", ""), {}) or {}).get("hyperparameters", {})
    if hyper:
        shown = ", ".join(f"{k}={v}" for k, v in hyper.items())
        lines.append(f"  hyperparameters: {method.get('type')}: {shown}")
    lines.append("  last events (newest first):")
    lines += [f"    {event.message}" for event in events] or ["    (none)"]
    lines += metrics_table(metrics)
    return [line for line in lines if line]


def metrics_table(metrics: list[dict[str, float]]) -> list[str]:
    if not metrics:
        return ["  metrics: no result file yet (written when the job succeeds)"]
    picked = _spread(metrics, TABLE_ROWS)
    columns = [c for c in COLUMNS if any(c in row for row in metrics)]
    lines = [f"  metrics ({len(metrics)} steps, {len(picked)} shown):"]
    lines.append("    " + "  ".join(columns))
    for row in picked:
        cells = [_cell(row.get(c), integer=c == "step").rjust(len(c)) for c in columns]
        lines.append("    " + "  ".join(cells))
    return lines


def _spread(rows: list[dict[str, float]], count: int) -> list[dict[str, float]]:
    if len(rows) <= count:
        return rows
    indexes = {round(i * (len(rows) - 1) / (count - 1)) for i in range(count)}
    return [rows[i] for i in sorted(indexes)]


def _cell(value: float | None, *, integer: bool) -> str:
    if value is None:
        return "-"
    return str(int(value)) if integer else f"{value:.4f}"
