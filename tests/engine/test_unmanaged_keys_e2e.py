"""End to end: `revoke_unmanaged_keys` on a Project, through the CLI against the sandbox.

A key a user made by hand appears in `plan` and `drift` (every format) with its owner; with
`revoke_unmanaged_keys: true` and --allow-delete it is revoked. The stack's own service
account's key and the key the run itself uses are never listed nor revoked, and no secret
appears in any output."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace
from .test_org_e2e import every_written_file, service_account


def write_stack(root: Path, project: str, revoke: str, body: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("stack: org\n", encoding="utf-8")
    (root / "stack.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Project\nmetadata: {name: team}\n"
        f"spec: {{name: {project}, revoke_unmanaged_keys: {revoke}}}\n" + body,
        encoding="utf-8",
    )
    return root


def key_by_hand(sandbox: SandboxHandle, project_id: str, name: str) -> dict[str, Any]:
    """A user's key made in the dashboard (a sandbox control route: the API makes none)."""
    url = sandbox.base_url.removesuffix("/").removesuffix("/v1") + "/_sandbox/project_api_keys"
    body = json.dumps({"project_id": project_id, "name": name}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return dict(json.loads(answer.read()))


def project_id(admin_client: openai.OpenAI, name: str) -> str:
    return next(p.id for p in admin_client.admin.organization.projects.list() if p.name == name)


def key_ids(admin_client: openai.OpenAI, project: str) -> set[str]:
    return {k.id for k in admin_client.admin.organization.projects.api_keys.list(project)}


def test_a_key_made_by_hand_is_listed_then_revoked(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    specs = write_stack(ws.root / "org", "Org Team", "false", service_account("bot"))
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    team = project_id(admin_client, "Org Team")
    (own_account_key,) = key_ids(admin_client, team)  # the stack's service account's
    sink = (specs / "secrets" / "bot.key").read_text(encoding="utf-8").strip()
    by_hand = key_by_hand(sandbox, team, "laptop")
    accounts = admin_client.admin.organization.projects.service_accounts
    stray = accounts.create(team, name="stray-sa")  # a service account made outside the stack
    assert stray.api_key is not None

    outputs = []
    for fmt in ("human", "markdown", "json"):
        drift = ws.run("drift", str(specs), "--format", fmt)
        assert drift.exit_code == 0, drift.output  # only warnings: nothing to change
        outputs.append(drift.output)
        assert by_hand["id"] in drift.output and "owner@sandbox.example" in drift.output
        assert "'laptop'" in drift.output and "last used never" in drift.output
        assert stray.api_key.id in drift.output and "stray-sa" in drift.output
        assert own_account_key not in drift.output
        assert "key_sandboxproject" not in drift.output  # the run's own key (default project)
    plan = json.loads(ws.run("plan", str(specs), "--format", "json").stdout)
    warned = [w for w in plan["warnings"] if by_hand["id"] in w]
    assert len(warned) == 1 and warned[0].startswith("Project/team: unmanaged API key")
    assert not [c for c in plan["changes"] if c["action"] == "delete"]

    write_stack(specs, "Org Team", "true", service_account("bot"))
    planned = ws.run("plan", str(specs), "--format", "json")
    outputs.append(planned.output)
    (revoke,) = [c for c in json.loads(planned.stdout)["changes"] if c["action"] == "delete"]
    assert revoke["address"] == f"Project/team#{by_hand['id']}"
    assert revoke["live_id"] == by_hand["id"] and "owner@sandbox.example" in revoke["reason"]
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2, drift.output  # a revoke to make is drift
    outputs.append(drift.output)
    human = ws.run("plan", str(specs))
    outputs.append(human.output)
    assert "revoke API key" in human.output

    guarded = ws.run("apply", str(specs), "--auto-approve")
    outputs.append(guarded.output)
    assert by_hand["id"] in key_ids(admin_client, team)  # deletes need --allow-delete

    applied = ws.run("apply", str(specs), "--auto-approve", "--allow-delete")
    outputs.append(applied.output)
    assert applied.exit_code == 0, applied.output
    assert key_ids(admin_client, team) == {own_account_key, stray.api_key.id}
    again = ws.run("plan", str(specs), "--detailed-exitcode")
    outputs.append(again.output)
    assert again.exit_code == 0, again.output  # converged; the stray account stays a warning
    assert "stray-sa" in again.output

    secrets = (by_hand["value"], sink, stray.api_key.value)
    for output in outputs:
        assert not any(secret[-12:] in output for secret in secrets), output
    for path in every_written_file(ws.root, specs / "secrets" / "bot.key"):
        assert not any(secret[-12:].encode() in path.read_bytes() for secret in secrets), path


def test_the_runs_own_key_is_never_listed_nor_revoked(
    ws: Workspace, sandbox: SandboxHandle, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    """The sandbox's project key (OPENAI_API_KEY of the run) is a user's key of the default
    project: a stack revoking that project's unmanaged keys leaves it alone."""
    specs = write_stack(ws.root / "org", "Default project", "true")
    default = project_id(admin_client, "Default project")
    by_hand = key_by_hand(sandbox, default, "old-script")
    planned = ws.run("plan", str(specs), "--format", "json")
    assert planned.exit_code == 0, planned.output
    deletes = [
        c["live_id"] for c in json.loads(planned.stdout)["changes"] if c["action"] == "delete"
    ]
    assert deletes == [by_hand["id"]]
    assert "key_sandboxproject" not in planned.output
    applied = ws.run("apply", str(specs), "--auto-approve", "--allow-delete")
    assert applied.exit_code == 0, applied.output
    assert key_ids(admin_client, default) == {"key_sandboxproject"}
    assert client.models.list() is not None  # the run's key still works
    assert by_hand["value"][-12:] not in planned.output + applied.output


def test_without_revoke_unmanaged_keys_no_key_is_read(ws: Workspace) -> None:
    specs = write_stack(ws.root / "org", "Org Team", "false")
    (specs / "stack.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Project\nmetadata: {name: team}\n"
        "spec: {name: Org Team}\n",
        encoding="utf-8",
    )
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    plain = json.loads(ws.run("plan", str(specs), "--format", "json").stdout)
    write_stack(specs, "Org Team", "false")
    listed = json.loads(ws.run("plan", str(specs), "--format", "json").stdout)
    assert listed["requests"] == plain["requests"] + 1  # one listing for the project
    assert listed["minimum_requests"] == plain["minimum_requests"] + 1


def test_max_key_age_and_the_inventory_share_one_listing(ws: Workspace) -> None:
    aged = service_account("bot").replace("key_sink:", "max_key_age: 90d, key_sink:")
    specs = write_stack(ws.root / "org", "Org Team", "false", aged)
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    shared = json.loads(ws.run("plan", str(specs), "--format", "json").stdout)
    text = (specs / "stack.yaml").read_text(encoding="utf-8")
    (specs / "stack.yaml").write_text(
        text.replace(", revoke_unmanaged_keys: false", ""), encoding="utf-8"
    )
    rotation_only = json.loads(ws.run("plan", str(specs), "--format", "json").stdout)
    assert shared["requests"] == rotation_only["requests"]  # the project's keys listed once
    assert shared["minimum_requests"] == rotation_only["minimum_requests"]
    assert shared["requests"] == shared["minimum_requests"]


def test_an_incremental_refresh_sees_a_key_made_since_the_snapshot(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    """The dashboard's key is in the audit log (`api_key.created`), so the incremental
    refresh lists the project's keys again instead of answering from its snapshot."""
    specs = write_stack(ws.root / "org", "Org Team", "false")
    (specs / "reconciler.yaml").write_text(
        "stack: org\nrefresh: {mode: incremental, max_age: 1h}\n", encoding="utf-8"
    )
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    assert ws.run("plan", str(specs)).exit_code == 0  # the snapshot now holds the keys
    by_hand = key_by_hand(sandbox, project_id(admin_client, "Org Team"), "laptop")
    planned = json.loads(ws.run("plan", str(specs), "--format", "json").stdout)
    assert planned["refresh"].startswith("incremental"), planned["refresh"]
    assert any(by_hand["id"] in w for w in planned["warnings"])


def test_a_saved_plan_is_stale_once_a_key_is_made(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    """The keys are part of the project's live state: a plan that revokes some is refused
    once another key was made, rather than leaving the new one (or revoking a stale list)."""
    specs = write_stack(ws.root / "org", "Org Team", "true")
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    team = project_id(admin_client, "Org Team")
    first = key_by_hand(sandbox, team, "first")
    saved = ws.run("plan", str(specs), "--out", str(ws.root / "plan.json"))
    assert saved.exit_code == 0, saved.output
    key_by_hand(sandbox, team, "second")
    refused = ws.run("apply", str(ws.root / "plan.json"), "--auto-approve", "--allow-delete")
    assert refused.exit_code != 0, refused.output
    assert "stale" in refused.output
    assert first["id"] in key_ids(admin_client, team)  # nothing was revoked
