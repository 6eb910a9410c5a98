"""QA: saved plan files that are not what `apply` and `show` expect.

Each case runs the real CLI against the sandbox and checks the message names the file and
says what to do, the exit code is 1, there is no traceback, and nothing was applied.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai

from .e2e import Workspace, active_projects

NAME = "TechCorp Support"


def save_plan(ws: Workspace, name: str = "plan.json") -> dict[str, Any]:
    saved = ws.run("plan", "specs", "--out", name)
    assert saved.exit_code == 0, saved.output
    parsed: dict[str, Any] = json.loads((ws.root / name).read_text(encoding="utf-8"))
    return parsed


def write_plan(ws: Workspace, name: str, plan: dict[str, Any]) -> None:
    (ws.root / name).write_text(json.dumps(plan), encoding="utf-8")


def assert_refused(ws: Workspace, admin_client: openai.OpenAI, *args: str) -> str:
    result = ws.run(*args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert active_projects(admin_client, NAME) == []
    return result.stderr


def test_a_plan_from_a_newer_reconciler_is_refused(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    write_plan(ws, "newer.json", {**save_plan(ws), "format_version": 99})
    message = assert_refused(ws, admin_client, "apply", "newer.json", "--auto-approve")
    assert "newer.json was saved by a newer reconciler (plan format 99" in message
    assert "upgrade reconciler" in message
    assert "newer reconciler" in assert_refused(ws, admin_client, "show", "newer.json")


def test_a_newer_plan_with_fields_this_version_lacks_names_the_version(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    write_plan(ws, "newer.json", {**save_plan(ws), "format_version": 2, "targets": []})
    message = assert_refused(ws, admin_client, "apply", "newer.json", "--auto-approve")
    assert "saved by a newer reconciler (plan format 2" in message


def test_a_plan_file_that_is_not_json_says_where_it_breaks(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    (ws.root / "notes.txt").write_text("these are not the droids\n", encoding="utf-8")
    message = assert_refused(ws, admin_client, "apply", "notes.txt", "--auto-approve")
    assert "notes.txt:1:1: not a plan file: invalid JSON" in message
    assert "`reconciler plan --out FILE`" in message


def test_a_json_file_that_is_not_a_plan_names_the_missing_field(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    (ws.root / "package.json").write_text('{"name": "x", "format_version": 1}', encoding="utf-8")
    message = assert_refused(ws, admin_client, "show", "package.json")
    assert "package.json: not a plan file: 'stack' is missing" in message


def test_a_plan_for_another_stack_is_refused_naming_both(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    write_plan(ws, "other.json", {**save_plan(ws), "stack": "billing"})
    message = assert_refused(ws, admin_client, "apply", "other.json", "--auto-approve")
    assert "other.json is a plan for stack 'billing'" in message
    assert "specs holds stack 'demo'" in message
    assert "--stack billing" in message


def test_a_plan_made_with_a_stack_flag_applies_with_the_same_flag(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    saved = ws.run("plan", "specs", "--stack", "demo-eu", "--out", "eu.json")
    assert saved.exit_code == 0, saved.output
    refused = assert_refused(ws, admin_client, "apply", "eu.json", "--auto-approve")
    assert "--stack demo-eu" in refused
    applied = ws.run("apply", "eu.json", "--auto-approve", "--stack", "demo-eu")
    assert applied.exit_code == 0, applied.output
    assert len(active_projects(admin_client, NAME)) == 1


def test_a_plan_applied_from_another_folder_says_where_to_run_it(
    ws: Workspace, admin_client: openai.OpenAI, tmp_path: Path, monkeypatch: Any
) -> None:
    save_plan(ws)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = ws.run("apply", str(ws.root / "plan.json"), "--auto-approve")
    assert result.exit_code == 1, result.output
    assert "made from the manifests in 'specs'" in result.stderr
    assert "run `reconciler apply` from the folder `reconciler plan` ran in" in result.stderr
    assert active_projects(admin_client, NAME) == []


def test_plan_out_into_a_missing_folder_fails_before_any_request(ws: Workspace) -> None:
    ws.env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # discard port: a request would fail
    result = ws.run("plan", "specs", "--out", "plans/today.json")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "could not reach" not in result.output
    assert "cannot write the plan to plans/today.json: there is no folder plans" in result.stderr
    assert not (ws.root / "plans").exists()


def test_show_warns_when_the_manifests_changed_since_the_plan(ws: Workspace) -> None:
    save_plan(ws)
    current = ws.run("show", "plan.json")
    assert current.exit_code == 0 and "stale" not in current.stderr
    ws.edit("data/support-valid.jsonl", lambda text: text + text.splitlines()[0] + "\n")
    (ws.specs / "project.yaml").unlink()
    shown = ws.run("show", "plan.json")
    assert shown.exit_code == 0, shown.output
    assert "Plan: 3 to create" in shown.stdout
    assert (
        "warning: this plan is stale: manifest data/support-valid.jsonl changed, "
        "manifest project.yaml is gone. `reconciler apply plan.json` will refuse it: "
        "run `reconciler plan` again." in shown.stderr
    )
