"""The request count of a plan of members and service accounts is the list-page minimum: one
listing of the organization's users, and one of the users and one of the service accounts of
each project, whatever the number of members and accounts (issue 12; the Administration API
allows a few requests a minute). A reader that asks once per object fails here."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock

PROJECTS = 3


def write_stack(root: Path, per_project: int) -> Path:
    specs = root / f"org-{per_project}"
    specs.mkdir(parents=True)
    (specs / "reconciler.yaml").write_text("stack: orgscale\n", encoding="utf-8")
    documents = []
    for p in range(PROJECTS):
        documents.append(
            f"apiVersion: reconciler/v1\nkind: Project\nmetadata: {{name: p-{p}}}\n"
            f"spec: {{name: Org Scale {p}}}\n"
        )
        for m in range(per_project):
            documents.append(
                f"apiVersion: reconciler/v1\nkind: ProjectMember\nmetadata: {{name: m-{p}-{m}}}\n"
                f"spec: {{project: Project/p-{p}, email: user{m}@example.com, role: member}}\n"
            )
            documents.append(
                f"apiVersion: reconciler/v1\nkind: ServiceAccount\nmetadata: {{name: sa-{p}-{m}}}\n"
                f"spec: {{project: Project/p-{p}, name: bot-{m}, "
                f"key_sink: {{file: secrets/sa-{p}-{m}.key}}}}\n"
            )
    (specs / "stack.yaml").write_text("---\n".join(documents), encoding="utf-8")
    return specs


def expected_minimum() -> int:
    home_files, projects, org_users = 1, 1, 1
    per_project = 2  # its users, its service accounts (members and accounts list no files)
    return home_files + projects + org_users + PROJECTS * per_project


@pytest.mark.parametrize("per_project", [1, 4])
def test_a_plan_of_members_and_accounts_reads_each_collection_once(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI, per_project: int
) -> None:
    for m in range(per_project):
        admin_client.admin.organization.invites.create(
            email=f"user{m}@example.com", role="reader", projects=[]
        )
    advance_clock(sandbox, 61)
    specs = write_stack(ws.root, per_project)
    applied = ws.run("apply", str(specs), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    planned = ws.run("plan", str(specs), "--format", "json", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert plan["summary"]["noop"] == PROJECTS * (1 + 2 * per_project)
    assert plan["minimum_requests"] == expected_minimum()
    assert plan["requests"] == plan["minimum_requests"]


def write_org_stack(root: Path, count: int) -> Path:
    specs = root / f"people-{count}"
    specs.mkdir(parents=True)
    (specs / "reconciler.yaml").write_text("stack: people\n", encoding="utf-8")
    documents = []
    for n in range(count):
        documents += [
            f"apiVersion: reconciler/v1\nkind: Invite\nmetadata: {{name: i-{n}}}\n"
            f"spec: {{email: person{n}@example.com}}\n",
            f"apiVersion: reconciler/v1\nkind: OrgUser\nmetadata: {{name: u-{n}}}\n"
            f"spec: {{email: person{n}@example.com, role: reader}}\n",
            f"apiVersion: reconciler/v1\nkind: Group\nmetadata: {{name: g-{n}}}\n"
            f"spec: {{name: Group {n}, users: [person{n}@example.com]}}\n",
        ]
    (specs / "stack.yaml").write_text("---\n".join(documents), encoding="utf-8")
    return specs


@pytest.mark.parametrize("count", [1, 4])
def test_a_plan_of_users_invites_and_groups_reads_each_collection_once(
    ws: Workspace, sandbox: SandboxHandle, count: int
) -> None:
    specs = write_org_stack(ws.root, count)
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0  # invites sent
    advance_clock(sandbox, 61)
    applied = ws.run("apply", str(specs), "--auto-approve")  # users adopted, groups filled
    assert applied.exit_code == 0, applied.output
    planned = ws.run("plan", str(specs), "--format", "json", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert plan["summary"]["noop"] == 3 * count
    # home files (the registry), users, invites, groups, and one member listing per group
    assert plan["minimum_requests"] == 1 + 1 + 1 + 1 + count
    assert plan["requests"] == plan["minimum_requests"]
