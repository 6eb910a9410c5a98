"""Custom roles as code, end to end through the CLI against the sandbox (issue 12): an
organization role and a project role created, a second plan a no-op, permissions and name
changed in place, drift reported, a predefined name refused, deleted behind --allow-delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai

from .e2e import Workspace

PROJECT = """apiVersion: reconciler/v1
kind: Project
metadata: {name: team}
spec: {name: Role Team}
"""


def role(name: str, role_name: str, permissions: list[str], project: str | None = None) -> str:
    scope = "" if project is None else f", project: {project}"
    return (
        f"---\napiVersion: reconciler/v1\nkind: Role\nmetadata: {{name: {name}}}\n"
        f"spec: {{role_name: {role_name}, permissions: [{', '.join(permissions)}]{scope}}}\n"
    )


def write_stack(root: Path, body: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("stack: roles\n", encoding="utf-8")
    (root / "stack.yaml").write_text(PROJECT + body, encoding="utf-8")
    return root


def changes(ws: Workspace, specs: Path, exits: tuple[int, ...] = (0, 2)) -> dict[str, Any]:
    result = ws.run("plan", str(specs), "--format", "json")
    assert result.exit_code in exits, result.output
    return {c["address"]: (c["action"], c["reason"]) for c in json.loads(result.stdout)["changes"]}


def apply(ws: Workspace, specs: Path, *flags: str) -> None:
    result = ws.run("apply", str(specs), "--auto-approve", *flags)
    assert result.exit_code == 0, result.output


def custom_roles(admin_client: openai.OpenAI) -> dict[str, list[str]]:
    org = admin_client.admin.organization
    found = {
        f"org:{r.name}": sorted(r.permissions)
        for r in org.roles.list(limit=1000)
        if not r.predefined_role
    }
    for project in org.projects.list(limit=100):
        for r in org.projects.roles.list(project.id, limit=1000):
            if not r.predefined_role:
                found[f"{project.name}:{r.name}"] = sorted(r.permissions)
    return found


def test_organization_and_project_roles_are_created_changed_drift_and_deleted(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    body = role("groups", "Group Manager", ["api.groups.read", "api.groups.write"])
    body += role("tuner", "Tuner", ["api.fine_tuning.jobs.write"], project="Project/team")
    specs = write_stack(ws.root / "r", body)
    first = changes(ws, specs)
    assert first["Role/groups"][0] == "create" and first["Role/tuner"][0] == "create"
    apply(ws, specs)
    assert custom_roles(admin_client) == {
        "org:Group Manager": ["api.groups.read", "api.groups.write"],
        "Role Team:Tuner": ["api.fine_tuning.jobs.write"],
    }
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    body = role("groups", "Group Admin", ["api.groups.write", "api.users.read"])
    body += role("tuner", "Tuner", ["api.fine_tuning.jobs.write"], project="Project/team")
    (specs / "stack.yaml").write_text(PROJECT + body, encoding="utf-8")
    action, reason = changes(ws, specs)["Role/groups"]
    assert action == "update"
    assert "role_name: 'Group Manager' → 'Group Admin'" in reason
    assert "grant api.users.read" in reason and "revoke api.groups.read" in reason
    apply(ws, specs)
    assert custom_roles(admin_client)["org:Group Admin"] == ["api.groups.write", "api.users.read"]
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    org = admin_client.admin.organization
    live = next(r for r in org.roles.list(limit=1000) if r.name == "Group Admin")
    org.roles.update(live.id, permissions=["api.groups.write"])
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2 and "Role/groups" in drift.output, drift.output
    apply(ws, specs)
    assert custom_roles(admin_client)["org:Group Admin"] == ["api.groups.write", "api.users.read"]

    (specs / "stack.yaml").write_text(PROJECT, encoding="utf-8")
    gone = changes(ws, specs)
    assert gone["Role/groups"][0] == "delete" and gone["Role/tuner"][0] == "delete"
    apply(ws, specs)
    assert len(custom_roles(admin_client)) == 2  # no --allow-delete
    apply(ws, specs, "--allow-delete")
    assert custom_roles(admin_client) == {}
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_an_existing_role_is_adopted_and_a_predefined_name_is_refused(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    existing = admin_client.admin.organization.roles.create(
        role_name="Auditor", permissions=["api.audit_logs.read"]
    )
    specs = write_stack(
        ws.root / "r",
        role("auditor", "Auditor", ["api.audit_logs.read"])
        + role("owner", "owner", ["api.groups.read"]),
    )
    found = changes(ws, specs, exits=(1,))
    assert found["Role/auditor"][0] == "update"
    assert f"adopt role 'Auditor' ({existing.id})" in found["Role/auditor"][1]
    assert found["Role/owner"][0] == "blocked"
    assert "'owner' is a predefined role" in found["Role/owner"][1]


def held(admin_client: openai.OpenAI, principal: str, principal_id: str) -> list[str]:
    org = admin_client.admin.organization
    listing = org.users.roles if principal == "user" else org.groups.roles
    return sorted(
        str(r.name) for r in listing.list(principal_id) if not getattr(r, "predefined_role", False)
    )


def test_custom_roles_are_assigned_to_users_and_groups_and_unassigned(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    roles = role("auditor", "Auditor", ["api.audit_logs.read"])
    roles += role("groups", "Group Manager", ["api.groups.write"])
    user = (
        "---\napiVersion: reconciler/v1\nkind: OrgUser\nmetadata: {name: owner}\n"
        "spec: {email: owner@sandbox.example, role: owner, roles: [Role/auditor, Role/groups]}\n"
    )
    group = (
        "---\napiVersion: reconciler/v1\nkind: Group\nmetadata: {name: ops}\n"
        "spec: {name: Ops, roles: [Role/auditor]}\n"
    )
    specs = write_stack(ws.root / "r", roles + user + group)
    apply(ws, specs)
    org = admin_client.admin.organization
    owner = next(u for u in org.users.list() if u.email == "owner@sandbox.example")
    ops = next(g for g in org.groups.list() if g.name == "Ops")
    assert held(admin_client, "user", owner.id) == ["Auditor", "Group Manager"]
    assert held(admin_client, "group", ops.id) == ["Auditor"]
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    user = user.replace("roles: [Role/auditor, Role/groups]", "roles: [Role/groups]")
    group = group.replace("roles: [Role/auditor]", "roles: [Role/groups]")
    (specs / "stack.yaml").write_text(PROJECT + roles + user + group, encoding="utf-8")
    found = changes(ws, specs)
    assert found["OrgUser/owner"][0] == "update" and found["Group/ops"][0] == "update"
    apply(ws, specs)
    assert held(admin_client, "user", owner.id) == ["Group Manager"]
    assert held(admin_client, "group", ops.id) == ["Group Manager"]
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    auditor = next(r for r in org.roles.list(limit=1000) if r.name == "Auditor")
    org.users.roles.create(owner.id, role_id=auditor.id)
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2 and "OrgUser/owner" in drift.output, drift.output


def test_a_project_role_cannot_be_assigned_in_the_organization(ws: Workspace) -> None:
    body = role("tuner", "Tuner", ["api.fine_tuning.jobs.write"], project="Project/team")
    body += (
        "---\napiVersion: reconciler/v1\nkind: Group\nmetadata: {name: ops}\n"
        "spec: {name: Ops, roles: [Role/tuner]}\n"
    )
    specs = write_stack(ws.root / "r", body)
    action, reason = changes(ws, specs, exits=(1,))["Group/ops"]
    assert action == "blocked"
    assert "Role/tuner is a project role" in reason


def test_custom_project_roles_are_assigned_to_project_members(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    body = role("tuner", "Tuner", ["api.fine_tuning.jobs.write"], project="Project/team")
    body += role("reader", "Log Reader", ["api.audit_logs.read"], project="Project/team")
    body += (
        "---\napiVersion: reconciler/v1\nkind: Group\nmetadata: {name: ops}\nspec: {name: Ops}\n"
        "---\napiVersion: reconciler/v1\nkind: ProjectMember\nmetadata: {name: ops}\n"
        "spec: {project: Project/team, group: Group/ops, role: member, roles: [Role/tuner]}\n"
        "---\napiVersion: reconciler/v1\nkind: ProjectMember\nmetadata: {name: me}\n"
        "spec: {project: Project/team, email: owner@sandbox.example, role: owner, "
        "roles: [Role/tuner, Role/reader]}\n"
    )
    specs = write_stack(ws.root / "r", body)
    apply(ws, specs)
    org = admin_client.admin.organization
    team = next(p for p in org.projects.list(limit=100) if p.name == "Role Team")
    ops = next(g for g in org.groups.list() if g.name == "Ops")
    owner = next(u for u in org.users.list() if u.email == "owner@sandbox.example")

    def custom(principal: Any, member_id: str) -> list[str]:
        listed = principal.list(member_id, project_id=team.id)
        return sorted(str(r.name) for r in listed if not r.predefined_role)

    assert custom(org.projects.groups.roles, ops.id) == ["Tuner"]
    assert custom(org.projects.users.roles, owner.id) == ["Log Reader", "Tuner"]
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    (specs / "stack.yaml").write_text(
        PROJECT + body.replace("roles: [Role/tuner, Role/reader]", "roles: [Role/reader]"),
        encoding="utf-8",
    )
    assert changes(ws, specs)["ProjectMember/me"][0] == "update"
    apply(ws, specs)
    assert custom(org.projects.users.roles, owner.id) == ["Log Reader"]
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_an_organization_role_cannot_be_assigned_in_a_project(ws: Workspace) -> None:
    body = role("auditor", "Auditor", ["api.audit_logs.read"])
    body += (
        "---\napiVersion: reconciler/v1\nkind: ProjectMember\nmetadata: {name: me}\n"
        "spec: {project: Project/team, email: owner@sandbox.example, role: owner, "
        "roles: [Role/auditor]}\n"
    )
    specs = write_stack(ws.root / "r", body)
    action, reason = changes(ws, specs, exits=(1,))["ProjectMember/me"]
    assert action == "blocked" and "Role/auditor is a role of the organization" in reason
