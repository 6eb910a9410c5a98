"""Project settings end to end through the CLI against the sandbox (issue 12): declared rate
limits applied with the project and then a no-op; a change in Git updates that field only; a
change outside Git is drift naming the field; a model left out is never touched; residency
cannot change; the other settings (spend limit, model and hosted-tool permissions, data
retention) round-trip; a plan reads one rate-limit listing per project, not one per model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai

from .e2e import Workspace, active_projects

NAME = "Settings Team"


def project(settings: str, name: str = NAME, manifest: str = "team") -> str:
    return (
        f"apiVersion: reconciler/v1\nkind: Project\nmetadata: {{name: {manifest}}}\n"
        f"spec:\n  name: {name}\n{settings}"
    )


LIMITS = """  rate_limits:
    gpt-4.1:
      max_requests_per_1_minute: 500
      max_tokens_per_1_minute: 30000
"""


def write_stack(root: Path, *documents: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("stack: settings\n", encoding="utf-8")
    (root / "stack.yaml").write_text("---\n".join(documents), encoding="utf-8")
    return root


def plan_json(ws: Workspace, specs: Path, exits: tuple[int, ...] = (0, 2)) -> Any:
    result = ws.run("plan", str(specs), "--format", "json", "--detailed-exitcode")
    assert result.exit_code in exits, result.output
    return json.loads(result.stdout)


def the_change(plan: dict[str, Any], address: str = "Project/team") -> dict[str, Any]:
    return next(c for c in plan["changes"] if c["address"] == address)


def limits_of(admin_client: openai.OpenAI, name: str = NAME) -> dict[str, Any]:
    (found,) = active_projects(admin_client, name)
    rows = admin_client.admin.organization.projects.rate_limits.list_rate_limits(found.id)
    return {row.model: row for row in rows}


def apply(ws: Workspace, specs: Path) -> None:
    result = ws.run("apply", str(specs), "--auto-approve")
    assert result.exit_code == 0, result.output


def test_rate_limits_are_applied_diffed_field_by_field_and_drift_names_the_field(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    specs = write_stack(ws.root / "stack", project(LIMITS))
    before = {model: row.model_dump() for model, row in limits_of_default(admin_client).items()}
    apply(ws, specs)
    limits = limits_of(admin_client)
    assert limits["gpt-4.1"].max_requests_per_1_minute == 500
    assert limits["gpt-4.1"].max_tokens_per_1_minute == 30000
    untouched = {m: r.model_dump() for m, r in limits.items() if m != "gpt-4.1"}
    assert untouched == {m: r for m, r in before.items() if m != "gpt-4.1"}
    assert the_change(plan_json(ws, specs, exits=(0,)))["action"] == "noop"

    (specs / "stack.yaml").write_text(project(LIMITS.replace("500", "400")), encoding="utf-8")
    change = the_change(plan_json(ws, specs, exits=(2,)))
    assert change["action"] == "update"
    paths = [c["path"] for c in change["field_changes"]]
    assert len(paths) == 1 and paths[0].endswith("max_requests_per_1_minute"), paths
    apply(ws, specs)
    limits = limits_of(admin_client)
    assert limits["gpt-4.1"].max_requests_per_1_minute == 400
    assert limits["gpt-4.1"].max_tokens_per_1_minute == 30000

    (found,) = active_projects(admin_client, NAME)
    admin_client.admin.organization.projects.rate_limits.update_rate_limit(
        limits["gpt-4.1"].id, project_id=found.id, max_tokens_per_1_minute=20000
    )
    admin_client.admin.organization.projects.rate_limits.update_rate_limit(
        limits["gpt-4o"].id, project_id=found.id, max_requests_per_1_minute=7
    )
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2, drift.output
    assert "max_tokens_per_1_minute" in drift.output
    assert "gpt-4o" not in drift.output.replace("gpt-4o-", "")  # not declared: not compared
    apply(ws, specs)
    limits = limits_of(admin_client)
    assert limits["gpt-4.1"].max_tokens_per_1_minute == 30000
    assert limits["gpt-4o"].max_requests_per_1_minute == 7  # a model left out is not touched


def limits_of_default(admin_client: openai.OpenAI) -> dict[str, Any]:
    """The limits a new project starts with (those of a scratch project)."""
    scratch = admin_client.admin.organization.projects.create(name="scratch")
    rows = admin_client.admin.organization.projects.rate_limits.list_rate_limits(scratch.id)
    return {row.model: row for row in rows}


def test_a_plan_reads_one_rate_limit_listing_per_project_whatever_the_models(
    ws: Workspace,
) -> None:
    every_model = "".join(
        f"    {model}:\n      max_requests_per_1_minute: 100\n"
        for model in ("gpt-4.1", "gpt-4o", "gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1-nano")
    )
    documents = [
        project("  rate_limits:\n" + every_model, name=f"Limits {n}", manifest=f"p{n}")
        for n in range(3)
    ]
    specs = write_stack(ws.root / "many", *documents)
    apply(ws, specs)
    plan = plan_json(ws, specs, exits=(0,))
    assert plan["summary"]["noop"] == 3
    # the API key's files, the projects, and one rate-limit listing per project
    assert plan["minimum_requests"] == 1 + 1 + 3
    assert plan["requests"] == plan["minimum_requests"]


def test_residency_cannot_change(ws: Workspace, admin_client: openai.OpenAI) -> None:
    specs = write_stack(ws.root / "eu", project("  residency: EU_STORAGE_PROCESSING\n"))
    apply(ws, specs)
    (found,) = active_projects(admin_client, NAME)
    assert found.residency == "EU_STORAGE_PROCESSING"
    assert the_change(plan_json(ws, specs, exits=(0,)))["action"] == "noop"
    (specs / "stack.yaml").write_text(project("  residency: GLOBAL\n"), encoding="utf-8")
    result = ws.run("plan", str(specs))
    assert result.exit_code == 1, result.output
    assert "residency" in result.output and "cannot change" in result.output
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 1
    (found,) = active_projects(admin_client, NAME)
    assert found.residency == "EU_STORAGE_PROCESSING"


OTHER_SETTINGS = """  spend_limit: {threshold_amount: 50000}
  spend_alerts:
    - threshold_amount: 10000
      notification_channel: {recipients: [finance@example.com]}
  model_permissions: {mode: allow_list, model_ids: [gpt-4.1, gpt-4o]}
  hosted_tool_permissions: {web_search: {enabled: false}}
  data_retention: {retention_type: zero_data_retention}
"""


def test_other_settings_are_applied_then_a_noop_and_drift_names_them(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    specs = write_stack(ws.root / "other", project(OTHER_SETTINGS))
    apply(ws, specs)
    projects = admin_client.admin.organization.projects
    (found,) = active_projects(admin_client, NAME)
    assert projects.spend_limit.retrieve(found.id).threshold_amount == 50000
    assert projects.model_permissions.retrieve(found.id).mode == "allow_list"
    tools = projects.hosted_tool_permissions.retrieve(found.id)
    assert tools.web_search is not None and tools.web_search.enabled is False
    assert projects.data_retention.retrieve(found.id).type == "zero_data_retention"
    (alert,) = projects.spend_alerts.list(found.id)
    assert alert.threshold_amount == 10000
    assert the_change(plan_json(ws, specs, exits=(0,)))["action"] == "noop"

    projects.model_permissions.update(found.id, mode="deny_list", model_ids=[])
    projects.hosted_tool_permissions.update(found.id, file_search={"enabled": False})
    channel: Any = {"type": "email", "recipients": ["someone@example.com"]}
    projects.spend_alerts.create(
        found.id,
        threshold_amount=20000,
        currency="USD",
        interval="month",
        notification_channel=channel,
    )
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2, drift.output
    assert "model_permissions" in drift.output and "hosted_tool" not in drift.output
    assert "spend_alerts.20000" in drift.output
    apply(ws, specs)
    assert [a.threshold_amount for a in projects.spend_alerts.list(found.id)] == [10000]
    assert projects.model_permissions.retrieve(found.id).mode == "allow_list"
    tools = projects.hosted_tool_permissions.retrieve(found.id)
    assert tools.file_search is not None and tools.file_search.enabled is False  # undeclared


def test_a_project_adopted_by_name_gets_its_declared_rate_limits(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    made = admin_client.admin.organization.projects.create(name=NAME)
    specs = write_stack(ws.root / "adopt", project(LIMITS))
    change = the_change(plan_json(ws, specs, exits=(2,)))
    assert change["action"] == "update" and change["live_id"] == made.id
    paths = sorted(c["path"] for c in change["field_changes"])
    assert [p.rsplit(".", 1)[1] for p in paths] == [
        "max_requests_per_1_minute",
        "max_tokens_per_1_minute",
    ]
    apply(ws, specs)
    assert limits_of(admin_client)["gpt-4.1"].max_requests_per_1_minute == 500
    assert the_change(plan_json(ws, specs, exits=(0,)))["action"] == "noop"
