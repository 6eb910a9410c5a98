"""Groups as code, end to end through the CLI against the sandbox (issue 12): created with its
members by email, a second plan is a no-op, renamed and re-membered in place, drift reported,
an existing group adopted, SCIM-managed groups read-only, deleted behind --allow-delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, _control
from .test_org_e2e import invite


def group(name: str, api_name: str, users: list[str] | None) -> str:
    members = "" if users is None else f", users: [{', '.join(users)}]"
    return (
        f"---\napiVersion: reconciler/v1\nkind: Group\nmetadata: {{name: {name}}}\n"
        f"spec: {{name: {api_name}{members}}}\n"
    )


def write_stack(root: Path, body: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("stack: groups\n", encoding="utf-8")
    (root / "stack.yaml").write_text(body, encoding="utf-8")
    return root


def changes(ws: Workspace, specs: Path, exits: tuple[int, ...] = (0, 2)) -> dict[str, Any]:
    result = ws.run("plan", str(specs), "--format", "json")
    assert result.exit_code in exits, result.output
    return {c["address"]: (c["action"], c["reason"]) for c in json.loads(result.stdout)["changes"]}


def groups(admin_client: openai.OpenAI) -> dict[str, list[str]]:
    org = admin_client.admin.organization
    return {
        g.name: sorted(str(u.email) for u in org.groups.users.list(g.id))
        for g in org.groups.list(limit=100)
    }


def apply(ws: Workspace, specs: Path, *flags: str) -> None:
    result = ws.run("apply", str(specs), "--auto-approve", *flags)
    assert result.exit_code == 0, result.output


def test_a_group_is_created_with_members_changed_in_place_drift_and_deleted_behind_the_guard(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    invite(admin_client, sandbox, "ann@example.com", "ben@example.com")
    specs = write_stack(
        ws.root / "g", group("support", "Support", ["Ann@Example.com", "ben@example.com"])
    )
    assert changes(ws, specs)["Group/support"][0] == "create"
    apply(ws, specs)
    assert groups(admin_client) == {"Support": ["ann@example.com", "ben@example.com"]}
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    (specs / "stack.yaml").write_text(
        group("support", "Support Team", ["ann@example.com", "owner@sandbox.example"]),
        encoding="utf-8",
    )
    action, reason = changes(ws, specs)["Group/support"]
    assert action == "update"
    assert "name: 'Support' → 'Support Team'" in reason
    assert "add owner@sandbox.example" in reason and "remove ben@example.com" in reason
    apply(ws, specs)
    assert groups(admin_client) == {"Support Team": ["ann@example.com", "owner@sandbox.example"]}
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    org = admin_client.admin.organization
    live = next(g for g in org.groups.list() if g.name == "Support Team")
    ann = next(u for u in org.users.list() if u.email == "ann@example.com")
    org.groups.users.delete(ann.id, group_id=live.id)
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2, drift.output
    assert "Group/support" in drift.output and "ann@example.com" in drift.output
    apply(ws, specs)
    assert groups(admin_client)["Support Team"] == ["ann@example.com", "owner@sandbox.example"]

    (specs / "stack.yaml").write_text(group("other", "Other", None), encoding="utf-8")
    gone = changes(ws, specs)
    assert gone["Group/support"][0] == "delete"
    apply(ws, specs)
    assert "Support Team" in groups(admin_client)  # no --allow-delete
    apply(ws, specs, "--allow-delete")
    assert set(groups(admin_client)) == {"Other"}
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_an_existing_group_is_adopted_and_a_missing_member_waits_with_a_warning(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    existing = admin_client.admin.organization.groups.create(name="Research")
    specs = write_stack(
        ws.root / "g", group("research", "Research", ["owner@sandbox.example", "zed@example.com"])
    )
    result = ws.run("plan", str(specs), "--format", "json")
    plan = json.loads(result.stdout)
    change = next(c for c in plan["changes"] if c["address"] == "Group/research")
    assert change["action"] == "update" and change["live_id"] == existing.id
    assert "adopt group 'Research'" in change["reason"]
    assert any("zed@example.com" in w for w in change["warnings"])
    apply(ws, specs)
    assert groups(admin_client) == {"Research": ["owner@sandbox.example"]}
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0
    (specs / "stack.yaml").unlink()
    apply(ws, specs, "--allow-delete")
    assert "Research" in groups(admin_client)  # adopted, so never deleted


def test_a_scim_managed_group_is_read_only(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    _control(sandbox, "/scim/groups", {"name": "Okta Admins"})
    specs = write_stack(ws.root / "g", group("admins", "Okta Admins", ["owner@sandbox.example"]))
    action, reason = changes(ws, specs, exits=(1,))["Group/admins"]
    assert action == "blocked"
    assert "is managed by SCIM" in reason and "users would change" in reason
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 1
    assert groups(admin_client) == {"Okta Admins": []}
    (specs / "stack.yaml").write_text(group("admins", "Okta Admins", []), encoding="utf-8")
    apply(ws, specs)  # matching it is fine: adopted, never changed
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0


PROJECT = """---
apiVersion: reconciler/v1
kind: Project
metadata: {name: team}
spec: {name: Group Team}
"""


def group_member(name: str, group_name: str, role: str) -> str:
    return (
        f"---\napiVersion: reconciler/v1\nkind: ProjectMember\nmetadata: {{name: {name}}}\n"
        f"spec: {{project: Project/team, group: Group/{group_name}, role: {role}}}\n"
    )


def project_groups(admin_client: openai.OpenAI) -> dict[str, list[str]]:
    org = admin_client.admin.organization
    team = next(p for p in org.projects.list(limit=100) if p.name == "Group Team")
    found = {}
    for held in org.projects.groups.list(team.id):
        roles = org.projects.groups.roles.list(held.group_id, project_id=team.id)
        found[held.group_name] = sorted(str(r.name) for r in roles)
    return found


def test_a_group_is_a_project_member_with_a_role_changed_in_place_and_removed(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    body = PROJECT + group("ops", "Ops", ["owner@sandbox.example"])
    specs = write_stack(ws.root / "g", body + group_member("ops-in-team", "ops", "member"))
    first = changes(ws, specs)
    assert first["ProjectMember/ops-in-team"][0] == "create"
    apply(ws, specs)
    assert project_groups(admin_client) == {"Ops": ["member"]}
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    (specs / "stack.yaml").write_text(
        body + group_member("ops-in-team", "ops", "owner"), encoding="utf-8"
    )
    assert changes(ws, specs)["ProjectMember/ops-in-team"] == ("update", "role member → owner")
    apply(ws, specs)
    assert project_groups(admin_client) == {"Ops": ["owner"]}
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    (specs / "stack.yaml").write_text(body, encoding="utf-8")
    gone = changes(ws, specs)["ProjectMember/ops-in-team"]
    assert gone[0] == "delete" and "group " in gone[1]
    apply(ws, specs, "--allow-delete")
    assert project_groups(admin_client) == {}
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_a_project_member_names_exactly_one_of_email_or_group(ws: Workspace) -> None:
    specs = write_stack(
        ws.root / "g",
        PROJECT + "---\napiVersion: reconciler/v1\nkind: ProjectMember\nmetadata: {name: both}\n"
        "spec: {project: Project/team, email: a@example.com, group: Group/x, role: member}\n"
        + group("x", "X", None),
    )
    result = ws.run("validate", str(specs))
    assert result.exit_code == 1
    assert "exactly one of `email` (a user) or `group`" in result.output
    assert "stack.yaml:" in result.output
