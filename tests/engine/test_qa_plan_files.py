"""QA: saved plan files that are not what `apply` and `show` expect.

Each case runs the real CLI against the sandbox and checks the message names the file and
says what to do, the exit code is 1, there is no traceback, and nothing was applied.
"""

from __future__ import annotations

import json
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
