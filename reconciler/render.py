"""Renderers: a Plan (or diagnostics) as human text, a markdown PR comment, or stable JSON.

Called by `cli.py` only; pure functions from data to strings, so snapshot tests pin the output.
Human output uses Terraform's symbols (`+ ~ - -/+`) with optional ANSI colour; markdown puts the
summary first and the details in collapsible blocks, under GitHub's comment size limit; JSON is
the documented shape in `docs/plan-json.md` (`format_version` changes when it breaks).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from reconciler.audit import attribution_to_dict, describe_attribution
from reconciler.costs import CostSummary, cost_summary, usd
from reconciler.errors import Diagnostic, Diagnostics, SourceLocation
from reconciler.plan import Action, FieldChange, Plan, PolicyFinding, ResourceChange

Format = Literal["human", "markdown", "json"]

GITHUB_COMMENT_LIMIT = 65_536
_MAX_VALUE = 120
_ACTION_ORDER = (
    Action.DELETE,
    Action.REPLACE,
    Action.CREATE,
    Action.UPDATE,
    Action.BLOCKED,
    Action.WAIT,
    Action.NOOP,
)
_COLOURS = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "magenta",
    Action.DELETE: "red",
    Action.BLOCKED: "red",
    Action.WAIT: "cyan",
    Action.NOOP: "white",
}


def render_plan(plan: Plan, fmt: Format = "human", *, color: bool = False) -> str:
    if fmt == "json":
        return render_plan_json(plan)
    if fmt == "markdown":
        return render_plan_markdown(plan)
    return render_plan_human(plan, color=color)


# -- shared pieces -------------------------------------------------------------------------------


def format_value(value: Any, *, sensitive: bool = False) -> str:
    """A value as shown in a diff line: JSON-ish, truncated, secrets hidden."""
    if sensitive:
        return "(sensitive)"
    if isinstance(value, str) and value == "(known after apply)":
        return value
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def describe_field_change(change: FieldChange) -> str:
    old = format_value(change.old, sensitive=change.sensitive)
    new = format_value(change.new, sensitive=change.sensitive)
    suffix = "  # forces replacement" if change.forces_replace else ""
    if change.op == "add":
        return f"+ {change.path}: {new}{suffix}"
    if change.op == "remove":
        return f"- {change.path}: {old}{suffix}"
    return f"~ {change.path}: {old} → {new}{suffix}"


def action_label(change: ResourceChange) -> str:
    if change.action is Action.DELETE:
        label = change.delete_verb
        return f"{label} (irreversible)" if change.irreversible else label
    if change.action is Action.NOOP:
        return "no change"
    return change.action.value


def summary_line(plan: Plan) -> str:
    s = plan.summary
    if plan.mode == "drift":
        drifted = s.create + s.update + s.replace + s.delete
        if not drifted:
            return f"No drift: live state matches Git ({s.noop} objects checked)."
        return f"Drift: {drifted} object(s) differ from Git ({s.noop} unchanged)."
    if not s.has_changes and not s.blocked:
        extra = f", {s.wait} in progress" if s.wait else ""
        return f"No changes. Live state matches the manifests ({s.noop} unchanged{extra})."
    parts = [
        f"{s.create} to create",
        f"{s.update} to update",
        f"{s.replace} to replace",
        f"{s.delete} to delete",
    ]
    tail = [f"{s.noop} unchanged"]
    if s.blocked:
        tail.append(f"{s.blocked} blocked")
    if s.wait:
        tail.append(f"{s.wait} in progress")
    return f"Plan: {', '.join(parts)}; {', '.join(tail)}."


def policy_line(plan: Plan) -> str:
    """`Policies: 1 denied, 1 warning (4 files checked)`; what a deny does to apply."""
    denied = len(plan.denied)
    warned = len(plan.policy) - denied
    files = f"{len(plan.policy_files)} policy file{'s' if len(plan.policy_files) != 1 else ''}"
    if not plan.policy:
        return f"Policies: all pass ({files} checked)."
    text = f"Policies: {denied} denied, {warned} warning{'s' if warned != 1 else ''} ({files})"
    return text + (": apply will refuse this plan." if denied else ".")


def policy_text(finding: PolicyFinding) -> str:
    """`[rule] Resource: message (file)`: the rule and the resource, in every format."""
    named = finding.resource is None or finding.message.startswith(finding.resource)
    about = "" if named else f" {finding.resource}:"
    return f"[{finding.rule}]{about} {finding.message} ({finding.file})"


def requests_line(plan: Plan) -> str:
    """`N API requests (list-page minimum M)`: what reading live state took, and the pages the
    collections read would need at the API's largest page size."""
    return f"{_requests(plan)} (list-page minimum {plan.minimum_requests})"


def _requests(plan: Plan) -> str:
    return f"{plan.requests} API request{'s' if plan.requests != 1 else ''}"


def _ordered(changes: Iterable[ResourceChange]) -> list[ResourceChange]:
    rank = {action: i for i, action in enumerate(_ACTION_ORDER)}
    return sorted(changes, key=lambda c: (rank[c.action], c.address))


# -- human ---------------------------------------------------------------------------------------


def render_plan_human(plan: Plan, *, color: bool = False) -> str:
    def style(text: str, colour: str | None = None, bold: bool = False) -> str:
        if not color:
            return text
        import click

        return click.style(text, fg=colour, bold=bold)

    title = "Drift report" if plan.mode == "drift" else "Plan"
    lines = [
        style(f"{title} for stack '{plan.stack}'", bold=True)
        + f"  ({_requests(plan)} to read live state; list-page minimum {plan.minimum_requests})",
        "",
    ]
    if plan.refresh is not None:
        lines[-1:-1] = [f"Refresh: {plan.refresh}"]
    for change in _ordered(plan.changes):
        if change.action is Action.NOOP:
            continue
        colour = _COLOURS[change.action]
        symbol = change.action.symbol
        head = f"{symbol:>3} {change.address}"
        lines.append(style(head, colour, bold=True) + f"  {action_label(change)}: {change.reason}")
        if change.live_id:
            lines.append(f"      id: {change.live_id}")
        if change.attribution is not None:
            lines.extend(f"      {line}" for line in describe_attribution(change.attribution))
        lines.extend(f"      {describe_field_change(fc)}" for fc in change.changes)
        lines.extend(f"      {detail}" for detail in change.details)
        lines.extend(style(f"      warning: {w}", "yellow") for w in change.warnings)
        lines.append("")
    unchanged = [c for c in plan.changes if c.action is Action.NOOP]
    if unchanged:
        lines.append(style(f"    {len(unchanged)} unchanged:", "white"))
        lines.extend(f"      {c.address}: {c.reason}" for c in sorted(unchanged, key=_address))
        lines.append("")
    lines.extend(style(f"warning: {w}", "yellow") for w in plan.warnings)
    lines.append(style(summary_line(plan), bold=True))
    cost = cost_summary(plan) if plan.mode == "apply" else None
    if cost is not None:
        lines.append(cost.line())
    if plan.policy_files:
        lines.append(policy_line(plan))
        for finding in plan.policy:
            colour = "red" if finding.level == "deny" else "yellow"
            lines.append(style(f"  {finding.level}: ", colour, bold=True) + policy_text(finding))
    if plan.mode == "apply" and any(
        c.action is Action.DELETE and not c.deposed for c in plan.changes
    ):
        lines.append(
            "Deletes run only with --allow-delete; irreversible ones also need --allow-archive."
        )
    return "\n".join(lines)


def _address(change: ResourceChange) -> str:
    return change.address


# -- markdown ------------------------------------------------------------------------------------


def render_plan_markdown(plan: Plan, *, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """A PR comment: summary table first, each change's details in a collapsible block."""
    s = plan.summary
    title = "Drift report" if plan.mode == "drift" else "Reconciler plan"
    head = [
        f"### {title}: stack `{plan.stack}`",
        "",
        f"**{summary_line(plan)}**",
        "",
        "| create | update | replace | delete | unchanged | blocked |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {s.create} | {s.update} | {s.replace} | {s.delete} | {s.noop} | {s.blocked} |",
        "",
        *_markdown_policy(plan),
        *_markdown_cost(cost_summary(plan) if plan.mode == "apply" else None),
    ]
    footer = [f"> ⚠️ {w}" for w in plan.warnings]
    refresh = f" · {plan.refresh}" if plan.refresh is not None else ""
    footer.append(f"<sub>{requests_line(plan)}{refresh} · plan made {plan.created_at}</sub>")
    budget = limit - len("\n".join(footer)) - 600  # room for the truncation note
    shown_changes = [c for c in _ordered(plan.changes) if c.action is not Action.NOOP]
    text = "\n".join(head) + "\n"
    rows = ["| | resource | action | reason |", "| --- | --- | --- | --- |"]
    rows.extend(_markdown_row(c) for c in shown_changes)
    table, in_table = _fit(rows, budget - len(text), separator="\n")
    text += table + "\n\n" if shown_changes else ""
    blocks = [_markdown_details(c) for c in shown_changes]
    details, in_details = _fit(blocks, budget - len(text), separator="\n")
    text += details + "\n" if details else ""
    hidden = len(shown_changes) - min(in_table - 2, in_details)
    if hidden > 0:
        text += (
            f"\n_{hidden} change(s) not shown in full: the comment would exceed GitHub's "
            f"{limit:,}-character limit. Run `reconciler plan` for the full plan._\n"
        )
    return text + "\n" + "\n".join(footer) + "\n"


def _markdown_policy(plan: Plan) -> list[str]:
    if not plan.policy_files:
        return []
    icon = "⛔" if plan.denied else "✅" if not plan.policy else "⚠️"
    lines = [f"{icon} **{policy_line(plan)}**", ""]
    if plan.policy:
        lines += ["| | rule | resource | message |", "| --- | --- | --- | --- |"]
        for finding in plan.policy:
            message = finding.message.replace("|", "\\|")
            resource = f"`{finding.resource}`" if finding.resource else "(the plan)"
            lines.append(f"| {finding.level} | `{finding.rule}` | {resource} | {message} |")
        lines.append("")
    return lines


def _markdown_cost(cost: CostSummary | None) -> list[str]:
    """Infracost-style: per category, the spend so far, what this plan adds, the total after."""
    if cost is None:
        return []
    lines = [
        f"**Estimated spend: this plan adds {usd(cost.adds_usd)}** "
        f"(stack total {usd(cost.previous_usd)} → {usd(cost.after_usd)}).",
        "",
        "| spend | made by this plan | before | this plan adds | after |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in cost.rows:
        lines.append(
            f"| {row.label} | {row.resources} | {usd(row.previous_usd)} | "
            f"+{usd(row.adds_usd)} | {usd(row.after_usd)} |"
        )
    made = sum(row.resources for row in cost.rows)
    lines.append(
        f"| **total** | {made} | {usd(cost.previous_usd)} | **{cost.delta()}** | "
        f"{usd(cost.after_usd)} |"
    )
    if cost.unpriced:
        lines += ["", f"Not priced (no price for the model): {', '.join(cost.unpriced)}."]
    return [*lines, ""]


def _markdown_row(change: ResourceChange) -> str:
    label = action_label(change)
    if change.irreversible:
        label = f"**{label}**"
    reason = change.reason
    if change.attribution is not None:
        reason += " · " + describe_attribution(change.attribution)[0]
    reason = reason.replace("|", "\\|")
    return f"| `{change.action.symbol}` | `{change.address}` | {label} | {reason} |"


def _fit(parts: list[str], budget: int, *, separator: str) -> tuple[str, int]:
    """Join as many leading parts as fit in `budget` characters; returns (text, how many)."""
    total, count = 0, 0
    for part in parts:
        if total + len(part) + len(separator) > budget:
            break
        total += len(part) + len(separator)
        count += 1
    return separator.join(parts[:count]), count


def _markdown_details(change: ResourceChange) -> str:
    lines = [f"<details><summary><code>{change.address}</code>: {action_label(change)}</summary>"]
    lines += ["", "```diff"]
    if change.attribution is not None:
        lines.extend(f"# {line}" for line in describe_attribution(change.attribution))
    lines.extend(describe_field_change(fc) for fc in change.changes)
    lines.extend(f"# {d}" for d in change.details)
    lines.extend(f"! warning: {w}" for w in change.warnings)
    if not change.changes and not change.details and not change.warnings:
        lines.append(f"# {change.reason}")
    lines += ["```", "", "</details>"]
    return "\n".join(lines)


# -- json ----------------------------------------------------------------------------------------


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The documented JSON shape (docs/plan-json.md); sensitive values are never included."""
    shown = _plan_fields(plan)
    if plan.refresh is not None:  # only with `refresh: incremental` (or --refresh)
        shown["refresh"] = plan.refresh
    return shown


def _plan_fields(plan: Plan) -> dict[str, Any]:
    cost = cost_summary(plan)
    return {
        "format_version": plan.format_version,
        "mode": plan.mode,
        "stack": plan.stack,
        "created_at": plan.created_at,
        "has_changes": plan.has_changes,
        "summary": plan.summary.model_dump(),
        "requests": plan.requests,
        "minimum_requests": plan.minimum_requests,
        "warnings": list(plan.warnings),
        "cost": None if cost is None else cost.to_dict(),
        "policy": {
            "files": list(plan.policy_files),
            "deny": [f.model_dump() for f in plan.policy if f.level == "deny"],
            "warn": [f.model_dump() for f in plan.policy if f.level == "warn"],
        },
        "changes": [_change_to_dict(c) for c in plan.changes],
    }


def _change_to_dict(change: ResourceChange) -> dict[str, Any]:
    shown = _change_fields(change)
    if change.attribution is not None:  # drift reports only
        shown["attribution"] = attribution_to_dict(change.attribution)
    return shown


def _change_fields(change: ResourceChange) -> dict[str, Any]:
    return {
        "address": change.address,
        "kind": change.kind,
        "name": change.name,
        "action": change.action.value,
        "reason": change.reason,
        "live_id": change.live_id,
        "irreversible": change.irreversible,
        "deposed": change.deposed,
        "depends_on": list(change.depends_on),
        "field_changes": [
            {
                "op": fc.op,
                "path": fc.path,
                "old": None if fc.sensitive else fc.old,
                "new": None if fc.sensitive else fc.new,
                "forces_replace": fc.forces_replace,
                "sensitive": fc.sensitive,
            }
            for fc in change.changes
        ],
        "details": list(change.details),
        "warnings": list(change.warnings),
        "location": change.location,
        "spec": change.spec,
        "labels": change.labels,
        "models": [use.model_dump() for use in change.models],
        "cost": None if change.cost is None else change.cost.model_dump(),
    }


def render_plan_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False, default=str)


# -- diagnostics ---------------------------------------------------------------------------------


def render_diagnostics(diagnostics: Diagnostics, *, color: bool = False) -> str:
    text = diagnostics.render()
    if not color:
        return text
    import click

    out = []
    for line in text.splitlines():
        if ": error" in line and not line.startswith(" "):
            out.append(click.style(line, fg="red", bold=True))
        elif ": warning" in line and not line.startswith(" "):
            out.append(click.style(line, fg="yellow", bold=True))
        elif line.startswith("  hint:"):
            out.append(click.style(line, fg="cyan"))
        else:
            out.append(line)
    return "\n".join(out)


def _escape_annotation_data(text: str) -> str:
    """A workflow command's message, escaped as the GitHub runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_annotation_property(text: str) -> str:
    """A workflow command's property value (file, title): the message's escapes plus : and ,."""
    return _escape_annotation_data(text).replace(":", "%3A").replace(",", "%2C")


def render_diagnostics_github(diagnostics: Diagnostics) -> str:
    """Diagnostics as GitHub Actions workflow commands (`::error file=…,line=…,col=…::msg`), one
    line each, so a pull request shows them inline in its diff; then the counts."""
    lines = []
    for diagnostic in _sorted_diagnostics(diagnostics):
        command = "error" if diagnostic.is_error else "warning"
        title = f"reconciler {diagnostic.code}" if diagnostic.code else "reconciler"
        properties: list[tuple[str, str]] = []
        location = diagnostic.location
        if location is not None:
            properties.append(("file", location.file))
            if location.line > 0:
                properties.append(("line", str(location.line)))
                if location.column > 0:
                    properties.append(("col", str(location.column)))
        properties.append(("title", title))
        message = diagnostic.message
        if location is not None:
            message = f"{location}: {message}"
        if diagnostic.hint:
            message += f"\nhint: {diagnostic.hint}"
        joined = ",".join(f"{key}={_escape_annotation_property(v)}" for key, v in properties)
        lines.append(f"::{command} {joined}::{_escape_annotation_data(message)}")
    lines.append(f"{len(diagnostics.errors)} error(s), {len(diagnostics.warnings)} warning(s)")
    return "\n".join(lines)


def diagnostics_to_dict(diagnostics: Diagnostics) -> dict[str, Any]:
    """`validate --format json`: every diagnostic with its location (1-based; 0 = unknown)."""
    return {
        "format_version": 1,
        "valid": not diagnostics.has_errors,
        "error_count": len(diagnostics.errors),
        "warning_count": len(diagnostics.warnings),
        "diagnostics": [
            {
                "severity": d.severity,
                "code": d.code,
                "message": d.message,
                "hint": d.hint,
                "file": d.location.file if d.location else None,
                "line": d.location.line if d.location else 0,
                "column": d.location.column if d.location else 0,
            }
            for d in _sorted_diagnostics(diagnostics)
        ],
    }


def _sorted_diagnostics(diagnostics: Diagnostics) -> list[Diagnostic]:
    """In the order of the human rendering: by file, line and column."""
    return sorted(diagnostics.items, key=lambda d: (d.location or SourceLocation(""), d.message))


def render_diagnostics_json(diagnostics: Diagnostics) -> str:
    return json.dumps(diagnostics_to_dict(diagnostics), indent=2, ensure_ascii=False)
