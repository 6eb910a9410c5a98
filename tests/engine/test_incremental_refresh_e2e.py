"""Incremental refresh of the Administration API reads (issue 12), end to end through the CLI
against the sandbox: a snapshot in the platform, the audit log since, only the touched
collections re-read; full reads when asked, when the audit log is off or the snapshot is old;
and whatever was served from the snapshot, a change made outside Git is still found."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, set_switches
from .test_org_e2e import invite

PROJECTS = 3


def _stack(root: Path, max_age: str = "1h") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(
        f"stack: inc\nrefresh: {{mode: incremental, max_age: {max_age}}}\n", encoding="utf-8"
    )
    documents = []
    for n in range(PROJECTS):
        documents.append(
            f"apiVersion: reconciler/v1\nkind: Project\nmetadata: {{name: p{n}}}\n"
            f"spec:\n  name: Inc {n}\n  model_permissions: {{mode: allow_list, model_ids: "
            "[gpt-4.1]}\n"
        )
        documents.append(
            f"apiVersion: reconciler/v1\nkind: ProjectMember\nmetadata: {{name: alice-p{n}}}\n"
            f"spec: {{project: Project/p{n}, email: alice@example.com, role: member}}\n"
        )
    (root / "stack.yaml").write_text("---\n".join(documents), encoding="utf-8")
    return root


def _plan(ws: Workspace, specs: Path, *extra: str) -> dict[str, Any]:
    result = ws.run("plan", str(specs), "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    made: dict[str, Any] = json.loads(result.stdout)
    return made


def _actions(plan: dict[str, Any]) -> dict[str, str]:
    return {c["address"]: c["action"] for c in plan["changes"]}


def test_an_unchanged_plan_reads_the_snapshot_and_a_change_re_reads_only_what_it_touched(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    invite(admin_client, sandbox, "alice@example.com")
    specs = _stack(ws.root / "inc")
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0

    after_apply = _plan(ws, specs)  # the apply's own changes are in the audit log: re-read
    assert after_apply["refresh"].startswith("incremental read")
    assert set(_actions(after_apply).values()) == {"noop"}
    quiet = _plan(ws, specs)
    assert quiet["refresh"].startswith("incremental read")
    assert "0 re-read" in quiet["refresh"], quiet["refresh"]
    full = _plan(ws, specs, "--refresh=full")
    assert full["refresh"].startswith("full read of the Administration API (--refresh=full)")
    assert set(_actions(full).values()) == {"noop"}
    quiet = _plan(ws, specs)
    # the key's own files (the one data-plane listing: projects that hold only members have
    # no files listed), the snapshot's download and one audit-log page: no Administration API
    # listing at all
    assert quiet["requests"] == 1 + 2, quiet["refresh"]
    assert "8 listing(s) from the snapshot" in quiet["refresh"]  # projects, users, 3 + 3
    assert full["requests"] > 2 * PROJECTS + 3

    projects = {p.name: p.id for p in admin_client.admin.organization.projects.list()}
    org = admin_client.admin.organization.projects
    org.model_permissions.update(projects["Inc 1"], mode="deny_list", model_ids=[])
    changed = _plan(ws, specs)
    assert _actions(changed)["Project/p1"] == "update"  # found, though the rest was cached
    assert _actions(changed)["Project/p0"] == "noop"
    assert "re-read" in changed["refresh"] and "0 re-read" not in changed["refresh"]
    assert changed["requests"] < full["requests"]

    users = org.users.list(projects["Inc 2"])
    alice = next(u for u in users if u.email == "alice@example.com")
    org.users.update(alice.id, project_id=projects["Inc 2"], role="owner")
    member = _plan(ws, specs)
    assert _actions(member)["ProjectMember/alice-p2"] == "update"
    assert _actions(member)["Project/p1"] == "update"  # still drifted: not forgotten


def test_full_reads_when_the_audit_log_is_off_or_the_snapshot_is_too_old(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    invite(admin_client, sandbox, "alice@example.com")
    specs = _stack(ws.root / "inc")
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    _plan(ws, specs)
    set_switches(sandbox, {"audit_logs_disabled": True})
    projects = {p.name: p.id for p in admin_client.admin.organization.projects.list()}
    admin_client.admin.organization.projects.model_permissions.update(
        projects["Inc 0"], mode="deny_list", model_ids=[]
    )
    off = _plan(ws, specs)
    assert off["refresh"].startswith("full read of the Administration API (the audit log is")
    assert _actions(off)["Project/p0"] == "update"
    set_switches(sandbox, {"audit_logs_disabled": False})

    _stack(specs, max_age="0s")
    old = _plan(ws, specs)
    assert "the snapshot is older than 0s" in old["refresh"]
    human = ws.run("plan", str(specs))
    assert "Refresh: full read of the Administration API" in human.output


def test_without_the_setting_nothing_is_kept_and_the_plan_says_nothing(ws: Workspace) -> None:
    made = _plan(ws, ws.specs)
    assert "refresh" not in made
    files = ws.run("plan", str(ws.specs))
    assert "Refresh:" not in files.output
