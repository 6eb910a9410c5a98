"""Organization and access as code, end to end through the CLI against the sandbox (issue 12):
project members (by email, role in place, drift, removal behind --allow-delete) and service
accounts (their key in the named sink, mode 0600, and nowhere else)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock

PROJECT = """apiVersion: reconciler/v1
kind: Project
metadata: {name: team}
spec: {name: Org Team}
"""


def member(name: str, email: str, role: str) -> str:
    return (
        f"---\napiVersion: reconciler/v1\nkind: ProjectMember\nmetadata: {{name: {name}}}\n"
        f"spec: {{project: Project/team, email: {email}, role: {role}}}\n"
    )


def invite(admin_client: openai.OpenAI, sandbox: SandboxHandle, *emails: str) -> None:
    """Bring users into the organization (the sandbox accepts an invite after 60 s)."""
    for email in emails:
        admin_client.admin.organization.invites.create(email=email, role="reader", projects=[])
    advance_clock(sandbox, 61)


def write_stack(root: Path, body: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("stack: org\n", encoding="utf-8")
    (root / "stack.yaml").write_text(PROJECT + body, encoding="utf-8")
    return root


def plan_json(ws: Workspace, specs: Path, *extra: str, exits: tuple[int, ...] = (0, 2)) -> Any:
    result = ws.run("plan", str(specs), "--format", "json", *extra)
    assert result.exit_code in exits, result.output
    return json.loads(result.stdout)


def actions(plan: dict[str, Any]) -> dict[str, str]:
    return {c["address"]: c["action"] for c in plan["changes"]}


def project_users(admin_client: openai.OpenAI, name: str) -> dict[str, str]:
    projects = admin_client.admin.organization.projects.list(limit=100)
    project = next(p for p in projects if p.name == name)
    users = admin_client.admin.organization.projects.users.list(project.id, limit=100)
    return {str(u.email): u.role for u in users}


def test_members_are_added_changed_in_place_drift_and_removed_behind_the_guard(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    invite(admin_client, sandbox, "alice@example.com", "bob@example.com")
    specs = write_stack(
        ws.root / "org",
        member("alice", "Alice@Example.com", "member") + member("bob", "bob@example.com", "owner"),
    )
    applied = ws.run("apply", str(specs), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert project_users(admin_client, "Org Team") == {
        "owner@sandbox.example": "owner",
        "alice@example.com": "member",
        "bob@example.com": "owner",
    }
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    (specs / "stack.yaml").write_text(
        PROJECT + member("alice", "alice@example.com", "owner"), encoding="utf-8"
    )
    plan = plan_json(ws, specs)
    assert actions(plan)["ProjectMember/alice"] == "update"
    assert actions(plan)["ProjectMember/bob"] == "delete"
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    assert project_users(admin_client, "Org Team")["alice@example.com"] == "owner"
    assert "bob@example.com" in project_users(admin_client, "Org Team")  # no --allow-delete
    deleted = ws.run("apply", str(specs), "--auto-approve", "--allow-delete")
    assert deleted.exit_code == 0, deleted.output
    assert "bob@example.com" not in project_users(admin_client, "Org Team")
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    project = next(
        p for p in admin_client.admin.organization.projects.list() if p.name == "Org Team"
    )
    alice = next(
        u
        for u in admin_client.admin.organization.projects.users.list(project.id)
        if u.email == "alice@example.com"
    )
    admin_client.admin.organization.projects.users.update(
        alice.id, project_id=project.id, role="member"
    )
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2, drift.output
    assert "ProjectMember/alice" in drift.output and "member" in drift.output


def test_a_member_who_is_not_in_the_organization_is_blocked_naming_the_email(
    ws: Workspace,
) -> None:
    specs = write_stack(ws.root / "org", member("carol", "carol@example.com", "member"))
    plan = plan_json(ws, specs, exits=(1,))
    change = next(c for c in plan["changes"] if c["address"] == "ProjectMember/carol")
    assert change["action"] == "blocked"
    assert "carol@example.com is not a user of the organization" in change["reason"]


@pytest.mark.parametrize("role", ["member", "owner"])
def test_an_existing_member_is_adopted_not_added_twice(ws: Workspace, role: str) -> None:
    specs = write_stack(ws.root / "org", member("me", "owner@sandbox.example", role))
    applied = ws.run("apply", str(specs), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    plan = plan_json(ws, specs, "--detailed-exitcode")
    assert actions(plan)["ProjectMember/me"] == "noop"


def service_account(name: str, role: str = "member", sink: str = "{file: secrets/bot.key}") -> str:
    return (
        f"---\napiVersion: reconciler/v1\nkind: ServiceAccount\nmetadata: {{name: {name}}}\n"
        f"spec: {{project: Project/team, name: {name}-sa, role: {role}, key_sink: {sink}}}\n"
    )


def accounts(admin_client: openai.OpenAI, name: str) -> dict[str, str]:
    project = next(p for p in admin_client.admin.organization.projects.list() if p.name == name)
    listed = admin_client.admin.organization.projects.service_accounts.list(project.id)
    return {a.name: a.role for a in listed}


def every_written_file(root: Path, sink: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p != sink]


def test_a_service_account_key_goes_to_its_sink_and_nowhere_else(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    specs = write_stack(ws.root / "org", service_account("bot"))
    outputs = []
    for args in (
        ("plan", str(specs), "--out", str(ws.root / "plan.json")),
        ("apply", str(specs), "--auto-approve"),
        ("plan", str(specs), "--format", "json"),
        ("drift", str(specs)),
    ):
        result = ws.run(*args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    sink = specs / "secrets" / "bot.key"
    key = sink.read_text(encoding="utf-8").strip()
    assert key.startswith("sk-") and len(key) > 20
    assert sink.stat().st_mode & 0o777 == 0o600
    assert (specs / "secrets" / ".gitignore").read_text() == "*\n"
    assert accounts(admin_client, "Org Team") == {"bot-sa": "member"}
    for output in outputs:
        assert key not in output and key[-12:] not in output
    for path in every_written_file(ws.root, sink):
        assert key[-12:].encode() not in path.read_bytes(), path
    for file in client.files.list():  # the ownership registry holds ids, never keys
        assert key[-12:] not in file.filename

    # the key works, in its project only
    project = next(
        p for p in admin_client.admin.organization.projects.list() if p.name == "Org Team"
    )
    keyed = openai.OpenAI(api_key=key, base_url=str(client.base_url))
    assert keyed.with_options(project=project.id).models.list().data is not None

    (specs / "stack.yaml").write_text(
        PROJECT + service_account("bot", role="owner"), encoding="utf-8"
    )
    plan = plan_json(ws, specs)
    assert actions(plan)["ServiceAccount/bot"] == "update"
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    assert accounts(admin_client, "Org Team") == {"bot-sa": "owner"}
    assert sink.read_text(encoding="utf-8").strip() == key  # an update issues no new key

    (specs / "stack.yaml").write_text(PROJECT, encoding="utf-8")
    removed = ws.run("apply", str(specs), "--auto-approve", "--allow-delete")
    assert removed.exit_code == 0, removed.output
    assert accounts(admin_client, "Org Team") == {}
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_a_service_account_key_can_go_to_a_masked_github_output(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    specs = write_stack(ws.root / "org", service_account("ci", sink="{github_output: CI_KEY}"))
    output = ws.root / "github_output"
    output.write_text("", encoding="utf-8")
    ws.env["GITHUB_OUTPUT"] = str(output)
    applied = ws.run("apply", str(specs), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    name, _, key = output.read_text(encoding="utf-8").strip().partition("=")
    assert name == "CI_KEY" and key.startswith("sk-")
    lines_with_key = [line for line in applied.output.splitlines() if key in line]
    assert lines_with_key == [f"::add-mask::{key}"]


def test_a_github_output_sink_outside_github_actions_fails_before_any_account_exists(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    specs = write_stack(ws.root / "org", service_account("ci", sink="{github_output: CI_KEY}"))
    applied = ws.run("apply", str(specs), "--auto-approve")
    assert applied.exit_code == 1
    assert "GITHUB_OUTPUT is not set" in applied.output
    assert accounts(admin_client, "Org Team") == {}
