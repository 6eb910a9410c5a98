"""`reconciler import` end to end through the CLI against the sandbox (issue 13): manifests for
objects made outside Git, metadata.id pinned, existing manifests edited in place with their
comments kept, and a no-op plan afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import openai
from ruamel.yaml import YAML

from reconciler.sandbox import SandboxHandle

from .e2e import SUPPORT_KEY_VARIABLE, Workspace, project_key, use_support_project
from .test_org_e2e import invite, member, write_stack


def _empty_stack(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "reconciler.yaml").write_text("stack: adopt\n", encoding="utf-8")
    return root


def _documents(path: Path) -> list[dict[str, object]]:
    return [d for d in YAML(typ="safe").load_all(path.read_text(encoding="utf-8")) if d]


def _assert_noop(ws: Workspace, specs: Path) -> None:
    plan = ws.run("plan", str(specs), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes." in plan.output


def test_import_all_of_a_project_writes_pinned_manifests_and_the_next_plan_is_a_noop(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    invite(admin_client, sandbox, "alice@example.com")
    org = admin_client.admin.organization
    made = org.projects.create(name="Made By Hand")
    alice = next(u for u in org.users.list() if u.email == "alice@example.com")
    org.projects.users.create(made.id, user_id=alice.id, role="member")
    org.projects.service_accounts.create(made.id, name="ci-bot")
    specs = _empty_stack(ws.root / "adopt")

    result = ws.run("import", "--all", "--project", made.id, str(specs))
    assert result.exit_code == 0, result.output
    assert "Imported" in result.output
    # its jobs need a key of that project (the admin key reads the rest): skipped, and said so
    assert f"skipped the fine-tuning jobs of project {made.id}: OPENAI_API_KEY is not" in (
        result.output
    )
    assert f"add `project_keys: {{{made.id}: VARIABLE}}`" in result.output
    documents = _documents(specs / "imported.yaml")
    by_kind = {d["kind"]: d for d in documents}
    assert by_kind["Project"]["metadata"] == {"name": "made-by-hand", "id": made.id}
    assert by_kind["Project"]["spec"] == {"name": "Made By Hand"}
    members = [d for d in documents if d["kind"] == "ProjectMember"]
    assert {"project": "Project/made-by-hand", "email": "alice@example.com", "role": "member"} in [
        m["spec"] for m in members
    ]
    account = by_kind["ServiceAccount"]["spec"]
    assert account["name"] == "ci-bot" and account["project"] == "Project/made-by-hand"
    assert "sk-" not in (specs / "imported.yaml").read_text()  # no key anywhere
    assert ws.run("validate", str(specs)).exit_code == 0
    _assert_noop(ws, specs)

    again = ws.run("import", "--all", "--project", made.id, str(specs))
    assert "Nothing to import" in again.output, again.output  # all accounted for now
    assert len(_documents(specs / "imported.yaml")) == len(documents)


def test_import_one_project_by_id_and_the_organizations_projects_with_all(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    one = admin_client.admin.organization.projects.create(name="Alpha")
    two = admin_client.admin.organization.projects.create(name="Beta")
    specs = _empty_stack(ws.root / "adopt")
    out = specs / "projects.yaml"

    result = ws.run("import", "Project", one.id, str(specs), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert [d["metadata"] for d in _documents(out)] == [{"name": "alpha", "id": one.id}]
    _assert_noop(ws, specs)
    out.write_text("# projects adopted from the organization\n" + out.read_text())

    every = ws.run("import", "--all", str(specs), "--out", str(out))
    assert every.exit_code == 0, every.output
    assert out.read_text().startswith("# projects adopted from the organization\n")
    ids = [d["metadata"]["id"] for d in _documents(out) if d["kind"] == "Project"]
    assert ids.count(one.id) == 1 and two.id in ids  # Alpha was accounted for already
    _assert_noop(ws, specs)


def test_in_place_pins_the_id_and_takes_the_live_values_keeping_comments(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    invite(admin_client, sandbox, "alice@example.com")
    specs = write_stack(ws.root / "org", member("alice", "alice@example.com", "member"))
    manifest = specs / "stack.yaml"
    manifest.write_text("# the team's project\n" + manifest.read_text(), encoding="utf-8")
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    plan = json.loads(ws.run("plan", str(specs), "--format", "json").stdout)
    project_id = next(c["live_id"] for c in plan["changes"] if c["address"] == "Project/team")
    admin_client.admin.organization.projects.update(project_id, name="Renamed By Hand")
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 2

    result = ws.run("import", "Project", project_id, str(specs), "--in-place")
    assert result.exit_code == 0, result.output
    text = manifest.read_text()
    assert text.startswith("# the team's project\n")  # comments and layout kept
    assert f"id: {project_id}" in text and "name: Renamed By Hand" in text
    assert "kind: ProjectMember" in text  # the other documents are still there
    assert not (specs / "imported.yaml").exists()
    _assert_noop(ws, specs)


def test_what_cannot_be_imported_says_why(ws: Workspace, admin_client: openai.OpenAI) -> None:
    specs = _empty_stack(ws.root / "adopt")
    unknown = ws.run("import", "Projekt", "proj_x", str(specs))
    assert unknown.exit_code == 1 and "no such kind" in unknown.output
    missing = ws.run("import", "Project", "proj_nope", str(specs))
    assert missing.exit_code == 1 and "no such live object" in missing.output
    nothing = ws.run("import", str(specs))
    assert nothing.exit_code == 1 and "--all" in nothing.output


def test_the_jobs_of_a_project_are_listed_with_its_key_from_project_keys(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    made = admin_client.admin.organization.projects.create(name="Made By Hand")
    key = project_key(admin_client, made.id)
    data = client.with_options(api_key=key).files.create(
        file=("by-hand.jsonl", (ws.specs / "data" / "support-train.jsonl").read_bytes()),
        purpose="fine-tune",
    )
    job = client.with_options(api_key=key).fine_tuning.jobs.create(
        model="gpt-4.1-mini-2025-04-14", training_file=data.id
    )
    specs = _empty_stack(ws.root / "adopt")
    (specs / "reconciler.yaml").write_text(
        f"stack: adopt\nproject_keys: {{{made.id}: MADE_BY_HAND_KEY}}\n", encoding="utf-8"
    )
    ws.env["MADE_BY_HAND_KEY"] = key

    result = ws.run("import", "--all", "--project", made.id, str(specs))
    assert result.exit_code == 0, result.output
    assert "skipped the fine-tuning jobs" not in result.output
    # listed with the project's key: found, and refused for a reason of its own
    assert f"skipped FineTune {job.id}: its training_file {data.id} is not a Dataset" in (
        result.output
    )
    assert key not in result.output


def test_a_fine_tuning_job_made_by_hand_on_the_stacks_data_is_imported_pinned(
    ws: Workspace, client: openai.OpenAI
) -> None:
    """The demo's data is in the API key's own project: so is the job, and its manifest
    names no project."""
    assert ws.run("apply", str(ws.specs), "--auto-approve").exit_code == 0
    plan = json.loads(ws.run("plan", str(ws.specs), "--format", "json").stdout)
    live = {c["address"]: c["live_id"] for c in plan["changes"]}
    job = client.fine_tuning.jobs.create(
        model="gpt-4.1-mini-2025-04-14",
        training_file=live["Dataset/support-train"],
        suffix="by-hand",
    )

    result = ws.run("import", "FineTune", job.id, str(ws.specs))
    assert result.exit_code == 0, result.output
    (document,) = _documents(ws.specs / "imported.yaml")
    assert document["metadata"]["id"] == job.id
    spec = document["spec"]
    assert spec["training_file"] == "Dataset/support-train"
    assert "project" not in spec
    assert spec["model"] == "gpt-4.1-mini-2025-04-14"
    plan_after = ws.run("plan", str(ws.specs), "--detailed-exitcode")
    assert plan_after.exit_code == 0, plan_after.output  # adopted as it is: no new job
    assert len(list(client.fine_tuning.jobs.list())) == 1


def test_a_fine_tuning_job_made_by_hand_in_a_project_with_its_key_is_imported_pinned(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    project, key = use_support_project(ws, admin_client)  # data in Project/support, its key
    assert ws.run("apply", str(ws.specs), "--auto-approve").exit_code == 0
    plan = json.loads(ws.run("plan", str(ws.specs), "--format", "json").stdout)
    live = {c["address"]: c["live_id"] for c in plan["changes"]}
    assert live["Project/support"] == project
    support = client.with_options(project=project, api_key=key)
    job = support.fine_tuning.jobs.create(
        model="gpt-4.1-mini-2025-04-14",
        training_file=live["Dataset/support-train"],
        suffix="by-hand",
    )

    result = ws.run("import", "FineTune", job.id, str(ws.specs))
    assert result.exit_code == 0, result.output
    (document,) = _documents(ws.specs / "imported.yaml")
    assert document["metadata"]["id"] == job.id
    spec = document["spec"]
    assert spec["training_file"] == "Dataset/support-train"
    assert spec["project"] == "Project/support"
    assert spec["model"] == "gpt-4.1-mini-2025-04-14"  # (a suffix shows once the model exists)
    plan_after = ws.run("plan", str(ws.specs), "--detailed-exitcode")
    assert plan_after.exit_code == 0, plan_after.output  # adopted as it is: no new job
    assert len(list(support.fine_tuning.jobs.list())) == 1
    assert ws.env[SUPPORT_KEY_VARIABLE] not in result.output + plan_after.output


def test_a_dataset_cannot_be_imported_and_the_import_says_why(ws: Workspace) -> None:
    assert ws.run("apply", str(ws.specs), "--auto-approve").exit_code == 0
    plan = json.loads(ws.run("plan", str(ws.specs), "--format", "json").stdout)
    file_id = next(c["live_id"] for c in plan["changes"] if c["address"] == "Dataset/support-valid")
    manifests = ws.specs / "datasets.yaml"
    manifests.write_text(
        manifests.read_text().split("---")[0], encoding="utf-8"
    )  # its manifest gone

    result = ws.run("import", "Dataset", file_id, str(ws.specs))
    assert result.exit_code == 1
    assert f"cannot import Dataset {file_id}: a Dataset is declared with its local file" in (
        result.output
    )
    assert not (ws.specs / "imported.yaml").exists()
    declared = ws.run("import", "Project", plan_live_id(plan, "Project/support"), str(ws.specs))
    assert declared.exit_code == 1 and "already declared by Project/support" in declared.output


def plan_live_id(plan: dict[str, object], address: str) -> str:
    changes = plan["changes"]
    assert isinstance(changes, list)
    return str(next(c["live_id"] for c in changes if c["address"] == address))


def test_import_all_brings_the_organizations_users_groups_roles_and_invites(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    invite(admin_client, sandbox, "alice@example.com")  # accepted: a user of the organization
    org = admin_client.admin.organization
    alice = next(u for u in org.users.list() if u.email == "alice@example.com")
    team = org.groups.create(name="Research Team")
    org.groups.users.create(team.id, user_id=alice.id)
    auditor = org.roles.create(
        role_name="Auditor",
        permissions=["api.audit_logs.read", "api.groups.read"],
        description="reads the audit log",
    )
    lab = org.projects.create(name="Lab")
    org.invites.create(  # still pending
        email="bob@example.com", role="reader", projects=[{"id": lab.id, "role": "member"}]
    )
    specs = _empty_stack(ws.root / "adopt")

    result = ws.run("import", "--all", str(specs))
    assert result.exit_code == 0, result.output
    assert "predefined" not in result.output  # only custom roles are listed for --all
    documents = _documents(specs / "imported.yaml")
    specs_of = {(d["kind"], d["metadata"]["name"]): d["spec"] for d in documents}
    assert specs_of[("OrgUser", "alice")] == {"email": "alice@example.com", "role": "reader"}
    assert specs_of[("OrgUser", "owner")] == {"email": "owner@sandbox.example", "role": "owner"}
    assert specs_of[("Group", "research-team")] == {
        "name": "Research Team",
        "users": ["alice@example.com"],
    }
    assert specs_of[("Role", "auditor")] == {
        "role_name": "Auditor",
        "permissions": ["api.audit_logs.read", "api.groups.read"],
        "description": "reads the audit log",
    }
    assert specs_of[("Invite", "invite-bob")] == {
        "email": "bob@example.com",
        "role": "reader",
        "projects": [{"id": "Project/lab", "role": "member"}],  # the project, imported too
    }
    assert f"Role/auditor ← {auditor.id} (recorded as adopted)" in result.output
    assert ws.run("validate", str(specs)).exit_code == 0
    _assert_noop(ws, specs)
    again = ws.run("import", "--all", str(specs))
    assert "Nothing to import" in again.output, again.output
    # the plan now reads every role (a Role is declared) and invite: predefined roles and the
    # accepted invite are not listed as skipped (nobody means to import them)
    assert "skipped" not in again.output, again.output

    # adopted, not created: removing the manifests leaves every object in the organization
    (specs / "imported.yaml").unlink()
    gone = ws.run("apply", str(specs), "--auto-approve", "--allow-delete")
    assert gone.exit_code == 0, gone.output
    assert any(u.email == "alice@example.com" for u in org.users.list())
    assert [g.name for g in org.groups.list()] == ["Research Team"]
    assert auditor.id in [r.id for r in org.roles.list()]


def test_import_one_org_user_by_id_and_a_project_role_with_its_project(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    invite(admin_client, sandbox, "alice@example.com")
    org = admin_client.admin.organization
    alice = next(u for u in org.users.list() if u.email == "alice@example.com")
    specs = _empty_stack(ws.root / "adopt")

    one = ws.run("import", "OrgUser", alice.id, str(specs))
    assert one.exit_code == 0, one.output
    assert [(d["kind"], d["spec"]) for d in _documents(specs / "imported.yaml")] == [
        ("OrgUser", {"email": "alice@example.com", "role": "reader"})
    ]
    _assert_noop(ws, specs)

    accepted = next(i for i in org.invites.list() if i.email == "alice@example.com")
    done = ws.run("import", "Invite", accepted.id, str(specs))
    assert done.exit_code == 1
    assert "it was accepted: the user is in the organization" in done.output, done.output

    owner_role = next(r for r in org.roles.list() if r.predefined_role)
    refused = ws.run("import", "Role", owner_role.id, str(specs))
    assert refused.exit_code == 1
    assert "is a predefined role" in refused.output, refused.output

    made = org.projects.create(name="Made By Hand")
    viewer = org.projects.roles.create(
        made.id, role_name="Viewer Plus", permissions=["api.model.read"]
    )
    alone = ws.run("import", "Role", f"{made.id}.{viewer.id}", str(specs))
    assert alone.exit_code == 1 and "import the project too" in alone.output, alone.output
    result = ws.run("import", "--all", "--project", made.id, str(specs))
    assert result.exit_code == 0, result.output
    role = next(d for d in _documents(specs / "imported.yaml") if d["kind"] == "Role")
    assert role["spec"] == {
        "role_name": "Viewer Plus",
        "permissions": ["api.model.read"],
        "project": "Project/made-by-hand",
    }
    assert ws.run("validate", str(specs)).exit_code == 0
    _assert_noop(ws, specs)
