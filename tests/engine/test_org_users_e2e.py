"""Users and invites as code, end to end through the CLI against the sandbox (issue 12):
`Invite` (sent once, pending → accepted shown, expired sent again, a changed pending invite
replaced, revoked behind --allow-delete) and `OrgUser` (adopted never created, role in place,
drift, removal behind its own --allow-remove-users, SCIM-managed users read-only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai

from reconciler.sandbox import SandboxHandle
from reconciler.sandbox.admin.org_invites import ACCEPT_AFTER_SECONDS, EXPIRES_AFTER_SECONDS

from .e2e import Workspace, _control, advance_clock

PROJECT = """apiVersion: reconciler/v1
kind: Project
metadata: {name: team}
spec: {name: Users Team}
"""


def invite(name: str, email: str, role: str = "reader", projects: str = "[]") -> str:
    return (
        f"---\napiVersion: reconciler/v1\nkind: Invite\nmetadata: {{name: {name}}}\n"
        f"spec: {{email: {email}, role: {role}, projects: {projects}}}\n"
    )


def org_user(name: str, email: str, role: str) -> str:
    return (
        f"---\napiVersion: reconciler/v1\nkind: OrgUser\nmetadata: {{name: {name}}}\n"
        f"spec: {{email: {email}, role: {role}}}\n"
    )


def write_stack(root: Path, body: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("stack: users\n", encoding="utf-8")
    (root / "stack.yaml").write_text(PROJECT + body, encoding="utf-8")
    return root


def plan_json(ws: Workspace, specs: Path, *extra: str, exits: tuple[int, ...] = (0, 2)) -> Any:
    result = ws.run("plan", str(specs), "--format", "json", *extra)
    assert result.exit_code in exits, result.output
    return json.loads(result.stdout)


def changes(plan: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["address"]: (c["action"], c["reason"]) for c in plan["changes"]}


def users(admin_client: openai.OpenAI) -> dict[str, str]:
    return {str(u.email): str(u.role) for u in admin_client.admin.organization.users.list()}


def invites_to(admin_client: openai.OpenAI, email: str) -> list[tuple[str, str]]:
    listed = admin_client.admin.organization.invites.list(limit=100)
    return [(i.status, i.role) for i in listed if i.email == email]


def apply(ws: Workspace, specs: Path, *flags: str) -> str:
    result = ws.run("apply", str(specs), "--auto-approve", *flags)
    assert result.exit_code == 0, result.output
    return result.output


def test_an_invite_is_sent_once_then_its_user_is_adopted_changed_and_removed_behind_its_flag(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    body = invite("dana", "dana@example.com", projects="[{id: Project/team, role: owner}]")
    specs = write_stack(ws.root / "users", body + org_user("dana", "Dana@Example.com", "reader"))
    first = changes(plan_json(ws, specs))
    assert first["Invite/dana"][0] == "create"
    assert first["OrgUser/dana"] == ("wait", "waiting for dana@example.com to accept Invite/dana")
    apply(ws, specs)
    assert invites_to(admin_client, "dana@example.com") == [("pending", "reader")]
    pending = changes(plan_json(ws, specs, "--detailed-exitcode", exits=(0,)))
    assert pending["Invite/dana"][0] == "noop"
    assert pending["Invite/dana"][1].startswith("pending: sent to dana@example.com ")
    assert "expires" in pending["Invite/dana"][1]
    assert pending["OrgUser/dana"][0] == "wait"
    apply(ws, specs)  # nothing to change: a second invite is never sent
    assert invites_to(admin_client, "dana@example.com") == [("pending", "reader")]

    advance_clock(sandbox, ACCEPT_AFTER_SECONDS + 1)
    accepted = changes(plan_json(ws, specs))
    assert accepted["Invite/dana"][0] == "noop"
    assert accepted["Invite/dana"][1].startswith("accepted: dana@example.com is in the org")
    assert accepted["OrgUser/dana"][0] == "update"
    assert "adopt dana@example.com" in accepted["OrgUser/dana"][1]
    apply(ws, specs)
    assert users(admin_client)["dana@example.com"] == "reader"
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0
    projects = admin_client.admin.organization.projects.list()
    team = next(p for p in projects if p.name == "Users Team")
    members = admin_client.admin.organization.projects.users.list(team.id)
    assert {str(m.email): m.role for m in members}["dana@example.com"] == "owner"

    (specs / "stack.yaml").write_text(
        PROJECT + body + org_user("dana", "dana@example.com", "owner"), encoding="utf-8"
    )
    assert changes(plan_json(ws, specs))["OrgUser/dana"] == (
        "update",
        "organization role reader → owner",
    )
    apply(ws, specs)
    assert users(admin_client)["dana@example.com"] == "owner"
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    org_users = admin_client.admin.organization.users.list()
    dana = next(u for u in org_users if u.email == "dana@example.com")
    admin_client.admin.organization.users.update(dana.id, role="reader")
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2, drift.output
    assert "OrgUser/dana" in drift.output and "reader" in drift.output

    (specs / "stack.yaml").write_text(PROJECT, encoding="utf-8")
    gone = changes(plan_json(ws, specs))
    assert gone["OrgUser/dana"][0] == "delete"
    assert "--allow-remove-users" in gone["OrgUser/dana"][1]
    assert "Invite/dana" not in gone  # an accepted invite is done: nothing to revoke
    kept = ws.run("apply", str(specs), "--auto-approve", "--allow-delete")
    assert kept.exit_code == 0, kept.output
    assert "needs --allow-remove-users too" in kept.output
    assert "dana@example.com" in users(admin_client)
    apply(ws, specs, "--allow-delete", "--allow-remove-users")
    assert "dana@example.com" not in users(admin_client)
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_an_expired_invite_is_sent_again_a_changed_one_replaced_and_a_gone_one_revoked(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    email = "erin@example.invalid"  # the sandbox never accepts a .invalid address
    specs = write_stack(ws.root / "users", invite("erin", email))
    apply(ws, specs)
    advance_clock(sandbox, EXPIRES_AFTER_SECONDS + 1)
    expired = changes(plan_json(ws, specs))["Invite/erin"]
    assert expired[0] == "create"
    assert "is expired: invite erin@example.invalid again" in expired[1]
    apply(ws, specs)
    assert invites_to(admin_client, email) == [("expired", "reader"), ("pending", "reader")]
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    (specs / "stack.yaml").write_text(PROJECT + invite("erin", email, "owner"), encoding="utf-8")
    replaced = changes(plan_json(ws, specs))["Invite/erin"]
    assert replaced[0] == "replace"
    assert "cannot be edited" in replaced[1]
    apply(ws, specs)
    assert invites_to(admin_client, email) == [("expired", "reader"), ("pending", "owner")]
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    admin_client.admin.organization.invites.delete(
        next(i.id for i in admin_client.admin.organization.invites.list() if i.status == "pending")
    )
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2 and "Invite/erin" in drift.output, drift.output
    apply(ws, specs)
    assert invites_to(admin_client, email)[-1] == ("pending", "owner")

    (specs / "stack.yaml").write_text(PROJECT, encoding="utf-8")
    assert changes(plan_json(ws, specs))["Invite/erin"][0] == "delete"
    apply(ws, specs)
    assert ("pending", "owner") in invites_to(admin_client, email)  # no --allow-delete
    apply(ws, specs, "--allow-delete")
    assert ("pending", "owner") not in invites_to(admin_client, email)
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_a_user_nobody_invites_is_blocked_and_scim_users_are_read_only(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    _control(sandbox, "/scim/users", {"email": "sam@example.com", "role": "reader"})
    specs = write_stack(
        ws.root / "users",
        org_user("fay", "fay@example.com", "reader") + org_user("sam", "sam@example.com", "owner"),
    )
    plan = changes(plan_json(ws, specs, exits=(1,)))
    assert plan["OrgUser/fay"][0] == "blocked"
    assert "users are never created; declare an Invite" in plan["OrgUser/fay"][1]
    assert plan["OrgUser/sam"][0] == "blocked"
    assert "sam@example.com is managed by SCIM" in plan["OrgUser/sam"][1]
    result = ws.run("apply", str(specs), "--auto-approve")
    assert result.exit_code == 1
    assert users(admin_client)["sam@example.com"] == "reader"

    (specs / "stack.yaml").write_text(
        PROJECT + org_user("sam", "sam@example.com", "reader"), encoding="utf-8"
    )
    apply(ws, specs)  # matching the live user is fine: it is adopted, never changed
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0
