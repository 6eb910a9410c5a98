"""End to end: the real CLI, the real SDK, real HTTP, against the sandbox, on the demo stack.

Each test starts from a fresh sandbox and a copy of `specs/`, and reads the results back with
the SDK (`client`, `admin_client`), never from the reconciler's own view.
"""

from __future__ import annotations

import json

import openai
import pytest

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, active_projects, home_files_named, set_faults

NAME = "TechCorp Support"


def apply_demo(ws: Workspace) -> None:
    result = ws.run("apply", "specs", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 3 succeeded, 0 failed, 0 skipped." in result.output


def plan_json(ws: Workspace, *args: str) -> dict[str, object]:
    result = ws.run("plan", "specs", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def actions(plan: dict[str, object]) -> dict[str, str]:
    changes = plan["changes"]
    assert isinstance(changes, list)
    return {change["address"]: change["action"] for change in changes}


def test_apply_then_plan_shows_no_changes(ws: Workspace, admin_client: openai.OpenAI) -> None:
    first = ws.run("plan", "specs", "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert "Plan: 3 to create" in first.stdout
    apply_demo(ws)
    again = ws.run("plan", "specs", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout
    assert len(active_projects(admin_client, NAME)) == 1


def test_plan_reports_its_request_count(ws: Workspace) -> None:
    before = plan_json(ws)
    assert before["requests"] == 2  # the key's project's files, the projects
    apply_demo(ws)
    after = plan_json(ws)
    assert after["requests"] == 2  # the datasets are in the key's project: nothing more
    shown = ws.run("plan", "specs").stdout
    assert "(2 API requests to read live state; list-page minimum 2)" in shown


def test_editing_a_dataset_replaces_it_naming_the_hashes(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    apply_demo(ws)
    old = ws.sha256("data/support-train.jsonl")
    ws.edit("data/support-train.jsonl", lambda text: text + text.splitlines()[0] + "\n")
    new = ws.sha256("data/support-train.jsonl")
    planned = ws.run("plan", "specs")
    assert f"content changed: sha256 {old[:8]}… → {new[:8]}…" in planned.stdout
    assert "-/+ Dataset/support-train" in planned.stdout
    apply_demo_result = ws.run("apply", "specs", "--auto-approve")
    assert apply_demo_result.exit_code == 0, apply_demo_result.output
    train = home_files_named(client, "support-train")
    assert [f.filename for f in train] == [f"reconciler--demo--support-train--{new[:16]}.jsonl"]
    assert ws.run("plan", "specs", "--detailed-exitcode").exit_code == 0


def test_renaming_a_project_in_git_updates_it_in_place(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    apply_demo(ws)
    project_id = active_projects(admin_client, NAME)[0].id
    ws.edit("project.yaml", lambda text: text.replace(NAME, "TechCorp Help Desk"))
    planned = ws.run("plan", "specs")
    assert f"~ Project/support  update: rename '{NAME}' → 'TechCorp Help Desk'" in planned.stdout
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete" in planned.stdout
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    renamed = active_projects(admin_client, "TechCorp Help Desk")
    assert [p.id for p in renamed] == [project_id]
    assert active_projects(admin_client, NAME) == []


def test_a_project_renamed_through_the_sdk_is_drift(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    apply_demo(ws)
    clean = ws.run("drift", "specs")
    assert clean.exit_code == 0, clean.output
    project_id = active_projects(admin_client, NAME)[0].id
    admin_client.admin.organization.projects.update(project_id, name="Renamed By Hand")
    drifted = ws.run("drift", "specs")
    assert drifted.exit_code == 2, drifted.output
    assert f'~ spec.name: "Renamed By Hand" → "{NAME}"' in drifted.stdout
    assert "Drift: 1 object(s) differ from Git" in drifted.stdout


def test_removing_a_dataset_deletes_it_only_with_the_flag(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    apply_demo(ws)
    ws.edit("datasets.yaml", lambda text: text.split("---")[0])
    planned = ws.run("plan", "specs")
    assert "- Dataset/support-valid  delete: no manifest declares Dataset/support-valid" in (
        planned.stdout
    )
    refused = ws.run("apply", "specs", "--auto-approve")
    assert "Dataset/support-valid: skipped: delete needs --allow-delete" in refused.stdout
    assert len(home_files_named(client, "support-valid")) == 1
    deleted = ws.run("apply", "specs", "--auto-approve", "--allow-delete")
    assert deleted.exit_code == 0, deleted.output
    assert home_files_named(client, "support-valid") == []
    assert ws.run("plan", "specs", "--detailed-exitcode").exit_code == 0


RESEARCH = """apiVersion: reconciler/v1
kind: Project
metadata:
  name: research
spec:
  name: TechCorp Research
"""


def test_archiving_a_project_needs_its_own_flag(ws: Workspace, admin_client: openai.OpenAI) -> None:
    (ws.specs / "research.yaml").write_text(RESEARCH)
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    (ws.specs / "research.yaml").unlink()
    planned = ws.run("plan", "specs")
    assert "- Project/research  archive (irreversible)" in planned.stdout
    refused = ws.run("apply", "specs", "--auto-approve", "--allow-delete")
    assert "archive cannot be undone: it needs --allow-archive too" in refused.stdout
    assert len(active_projects(admin_client, "TechCorp Research")) == 1
    archived = ws.run("apply", "specs", "--auto-approve", "--allow-delete", "--allow-archive")
    assert archived.exit_code == 0, archived.output
    assert active_projects(admin_client, "TechCorp Research") == []
    assert ws.run("plan", "specs", "--detailed-exitcode").exit_code == 0


def test_a_stale_saved_plan_is_refused_naming_what_changed(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    saved = ws.run("plan", "specs", "--out", "plan.json")
    assert saved.exit_code == 0, saved.output
    ws.edit("data/support-valid.jsonl", lambda text: text + text.splitlines()[0] + "\n")
    refused = ws.run("apply", "plan.json", "--auto-approve")
    assert refused.exit_code == 1
    assert "the saved plan is stale" in refused.stderr
    assert "manifest data/support-valid.jsonl changed" in refused.stderr
    assert active_projects(admin_client, NAME) == []  # nothing was applied


def test_a_saved_plan_is_refused_when_live_state_moved(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    apply_demo(ws)
    ws.edit("project.yaml", lambda text: text.replace(NAME, "TechCorp Help Desk"))
    assert ws.run("plan", "specs", "--out", "plan.json").exit_code == 0
    project_id = active_projects(admin_client, NAME)[0].id
    admin_client.admin.organization.projects.update(project_id, name="Renamed By Hand")
    refused = ws.run("apply", "plan.json", "--auto-approve")
    assert refused.exit_code == 1
    assert f"live object Project/{project_id} changed" in refused.stderr


def test_a_current_saved_plan_applies(ws: Workspace, admin_client: openai.OpenAI) -> None:
    assert ws.run("plan", "specs", "--out", "plan.json").exit_code == 0
    shown = ws.run("show", "plan.json")
    assert "Plan: 3 to create" in shown.stdout
    applied = ws.run("apply", "plan.json", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert len(active_projects(admin_client, NAME)) == 1


def test_apply_without_a_terminal_or_flag_refuses(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    refused = ws.run("apply", "specs")
    assert refused.exit_code == 1
    assert "rerun with --auto-approve" in refused.stderr
    assert active_projects(admin_client, NAME) == []


def test_temporary_errors_are_retried_after_the_delay_asked_for(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    route = {"route": "/v1/organization/projects", "method": "POST"}
    set_faults(sandbox, [{"kind": "429", "count": 2, "retry_after": 0.2, **route}])
    result = ws.run("apply", "specs", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("retrying in 0.2s") == 2
    assert len(active_projects(admin_client, NAME)) == 1


def test_the_sandbox_flag_keeps_its_state_between_commands(ws: Workspace) -> None:
    no_credentials = {"OPENAI_API_KEY": "", "OPENAI_ADMIN_KEY": "", "OPENAI_BASE_URL": ""}
    ws.env = no_credentials
    assert "Plan: 3 to create" in ws.run("plan", "specs", "--sandbox").stdout
    applied = ws.run("apply", "specs", "--sandbox", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = ws.run("plan", "specs", "--sandbox", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert (ws.specs / ".reconciler" / "sandbox.sqlite3").is_file()


def test_missing_credentials_are_a_clear_error(ws: Workspace) -> None:
    ws.env = {"OPENAI_API_KEY": "", "OPENAI_ADMIN_KEY": ""}
    result = ws.run("plan", "specs")
    assert result.exit_code == 1
    assert "OPENAI_API_KEY is not set" in result.stderr
    assert "Traceback" not in result.output


def test_invalid_manifests_stop_before_any_request(ws: Workspace) -> None:
    ws.edit("project.yaml", lambda text: text.replace("  name: TechCorp", "  nmae: TechCorp"))
    ws.env = {"OPENAI_API_KEY": "sk-proj-unused", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    result = ws.run("plan", "specs")  # port 9 (discard): any request would fail to connect
    assert result.exit_code == 1
    assert "specs/project.yaml:" in result.stderr
    assert "nmae" in result.stderr
    assert "could not reach" not in result.stderr


def test_on_a_terminal_apply_asks_first(
    ws: Workspace, admin_client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("reconciler.cli._stdin_is_terminal", lambda: True)
    declined = ws.run_with_input("n\n", "apply", "specs")
    assert "Apply these changes? [y/N]" in declined.stdout
    assert declined.exit_code == 1 and "apply cancelled" in declined.stderr
    assert active_projects(admin_client, NAME) == []
    accepted = ws.run_with_input("y\n", "apply", "specs")
    assert accepted.exit_code == 0, accepted.output
    assert len(active_projects(admin_client, NAME)) == 1


def test_a_single_manifest_is_refused_by_plan_not_planned_as_deletes(ws: Workspace) -> None:
    apply_demo(ws)
    result = ws.run("plan", "specs/project.yaml")
    assert result.exit_code == 1, result.output
    assert "is a single manifest" in result.output
    assert "reconciler plan specs" in result.output
    assert "to delete" not in result.output
