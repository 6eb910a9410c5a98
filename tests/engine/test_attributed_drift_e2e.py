"""Attributed drift end to end (issue 13): `drift` names who changed each drifted object and
when, from the organization's audit log, in every output format; with audit logging off, or
for a data-plane change the log does not record, the report says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock, home_files_named, set_switches
from .test_org_e2e import invite, member, write_stack

OWNER = "owner@sandbox.example"


def _applied_team(ws: Workspace, admin_client: openai.OpenAI, sandbox: SandboxHandle) -> Path:
    invite(admin_client, sandbox, "alice@example.com")
    specs = write_stack(ws.root / "org", member("alice", "alice@example.com", "member"))
    applied = ws.run("apply", str(specs), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    return specs


def _team(admin_client: openai.OpenAI) -> Any:
    return next(p for p in admin_client.admin.organization.projects.list() if p.name == "Org Team")


def _change_outside_git(admin_client: openai.OpenAI, sandbox: SandboxHandle) -> str:
    """Rename the project and make alice an owner, an hour after the apply; the time (ISO)."""
    advance_clock(sandbox, 3600)
    team = _team(admin_client)
    admin_client.admin.organization.projects.update(team.id, name="Renamed By Hand")
    users = admin_client.admin.organization.projects.users.list(team.id)
    alice = next(u for u in users if u.email == "alice@example.com")
    admin_client.admin.organization.projects.users.update(
        alice.id, project_id=team.id, role="owner"
    )
    clock = json.loads(_get(sandbox.control_url + "/clock"))
    return datetime.fromtimestamp(int(clock["now"]), UTC).strftime("%Y-%m-%dT%H:%M")


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as answer:
        return str(answer.read().decode())


def _drift(ws: Workspace, specs: Path, fmt: str) -> str:
    result = ws.run("drift", str(specs), "--format", fmt)
    assert result.exit_code == 2, result.output
    return result.stdout


def test_drift_names_who_changed_each_object_and_when_in_every_format(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    specs = _applied_team(ws, admin_client, sandbox)
    when = _change_outside_git(admin_client, sandbox)

    report = json.loads(_drift(ws, specs, "json"))
    by_address = {c["address"]: c for c in report["changes"]}
    project = by_address["Project/team"]["attribution"]
    assert project["note"] is None
    newest = project["events"][0]
    assert (newest["actor"], newest["event_type"]) == (OWNER, "project.updated")
    assert newest["at"].startswith(when)
    # the apply's own create is older, and listed after it
    assert [e["event_type"] for e in project["events"]][-1] == "project.created"
    alice = by_address["ProjectMember/alice"]["attribution"]["events"][0]
    assert (alice["actor"], alice["event_type"]) == (OWNER, "user.updated")
    assert alice["at"].startswith(when)

    human = _drift(ws, specs, "human")
    assert f"changed by {OWNER}: project.updated at {when}" in human
    assert f"changed by {OWNER}: user.updated at {when}" in human
    markdown = _drift(ws, specs, "markdown")
    assert f"changed by {OWNER}: project.updated at {when}" in markdown
    row = next(line for line in markdown.splitlines() if "`Project/team`" in line)
    assert OWNER in row  # in the summary table too, not only in the collapsed details


def test_with_audit_logging_off_the_report_says_who_is_not_known(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    specs = _applied_team(ws, admin_client, sandbox)
    _change_outside_git(admin_client, sandbox)
    set_switches(sandbox, {"audit_logs_disabled": True})

    report = json.loads(_drift(ws, specs, "json"))
    project = next(c for c in report["changes"] if c["address"] == "Project/team")
    assert project["action"] == "update"  # the drift itself is still reported
    assert project["attribution"]["events"] == []
    assert "audit log is unavailable" in project["attribution"]["note"]
    assert "not enabled" in project["attribution"]["note"]
    for fmt in ("human", "markdown"):
        assert "changed by: not known: the audit log is unavailable" in _drift(ws, specs, fmt)


def test_a_data_plane_change_says_the_audit_log_does_not_record_it(
    ws: Workspace, client: openai.OpenAI
) -> None:
    assert ws.run("apply", str(ws.specs), "--auto-approve").exit_code == 0
    for listed in home_files_named(client, "support-valid"):  # the API key's own project
        client.files.delete(listed.id)
    before = json.loads(ws.run("plan", str(ws.specs), "--format", "json").stdout)["requests"]

    report = json.loads(_drift(ws, ws.specs, "json"))
    dataset = next(c for c in report["changes"] if c["address"] == "Dataset/support-valid")
    assert dataset["action"] == "create"
    assert dataset["attribution"]["events"] == []
    assert "does not record data-plane changes" in dataset["attribution"]["note"]
    assert report["requests"] == before  # nothing the log could name: no audit request
    assert "does not record data-plane changes" in _drift(ws, ws.specs, "human")


def test_a_rate_limit_changed_outside_git_is_attributed_to_its_rate_limit_entry(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    specs = write_stack(ws.root / "org", "")
    stack = specs / "stack.yaml"
    stack.write_text(
        stack.read_text().replace(
            "spec: {name: Org Team}",
            "spec:\n  name: Org Team\n  rate_limits: {gpt-4.1: {max_requests_per_1_minute: 500}}",
        ),
        encoding="utf-8",
    )
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    advance_clock(sandbox, 600)
    team = _team(admin_client)
    limits = admin_client.admin.organization.projects.rate_limits
    row = next(r for r in limits.list_rate_limits(team.id) if r.model == "gpt-4.1")
    limits.update_rate_limit(row.id, project_id=team.id, max_requests_per_1_minute=9)

    report = json.loads(_drift(ws, specs, "json"))
    (change,) = [c for c in report["changes"] if c["action"] == "update"]
    newest = change["attribution"]["events"][0]
    assert (newest["actor"], newest["event_type"]) == (OWNER, "rate_limit.updated")


def test_a_project_archived_outside_git_names_who_archived_it(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    specs = _applied_team(ws, admin_client, sandbox)
    advance_clock(sandbox, 600)
    admin_client.admin.organization.projects.archive(_team(admin_client).id)

    report = json.loads(_drift(ws, specs, "json"))
    project = next(c for c in report["changes"] if c["address"] == "Project/team")
    assert project["action"] == "create" and project["live_id"] is None
    newest = project["attribution"]["events"][0]  # found by the id the registry recorded
    assert (newest["actor"], newest["event_type"]) == (OWNER, "project.archived")
