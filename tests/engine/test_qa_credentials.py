"""QA: wrong or missing credentials and base URLs, through the real CLI against the sandbox.

Each case must fail with exit code 1, no traceback, a message naming the environment variable
to fix and how, no key value anywhere in the output, and nothing created.
"""

from __future__ import annotations

import openai
import pytest

from .e2e import Workspace, active_projects

NAME = "TechCorp Support"
WRONG_PROJECT_KEY = "sk-proj-wrong-1111111111111111111111111111"
WRONG_ADMIN_KEY = "sk-admin-wrong-2222222222222222222222222222"


def refused(ws: Workspace, admin_client: openai.OpenAI, *args: str) -> str:
    """Run `plan specs` (or `args`), check the failure is clean; return stderr."""
    result = ws.run(*(args or ("plan", "specs")))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: "), result.stderr
    for key in (*ws.env.values(), WRONG_PROJECT_KEY, WRONG_ADMIN_KEY):
        if key and key.startswith("sk-"):
            assert key[8:] not in result.output  # not even the tail of a key
    assert active_projects(admin_client, NAME) == []
    return result.stderr


def test_a_missing_project_key_says_which_key_to_set(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    ws.env["OPENAI_API_KEY"] = ""
    message = refused(ws, admin_client)
    assert "set OPENAI_API_KEY to a project API key (sk-proj-...)" in message


def test_a_missing_admin_key_says_projects_need_the_administration_api(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    ws.env["OPENAI_ADMIN_KEY"] = ""
    message = refused(ws, admin_client)
    assert "set OPENAI_ADMIN_KEY to an admin key (sk-admin-...)" in message
    assert "projects are managed through the Administration API" in message


@pytest.mark.parametrize("key", ["sk-proj-café-3333333333333333", "sk-proj-a b-4444444444444444"])
def test_a_key_with_characters_no_key_has_is_refused_before_any_request(
    ws: Workspace, admin_client: openai.OpenAI, key: str
) -> None:
    ws.env["OPENAI_API_KEY"] = key
    ws.env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # discard port: a request would fail
    message = refused(ws, admin_client)
    assert "OPENAI_API_KEY contains characters an API key never has" in message
    assert key not in message and "could not reach" not in message


def test_spaces_and_a_line_break_around_a_key_are_ignored(ws: Workspace) -> None:
    ws.env["OPENAI_API_KEY"] = f"  {ws.env['OPENAI_API_KEY']}\n"
    result = ws.run("plan", "specs")
    assert result.exit_code == 0, result.output


def test_a_base_url_without_a_scheme_is_refused_before_any_request(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    ws.env["OPENAI_BASE_URL"] = "api.openai.com/v1"
    message = refused(ws, admin_client)
    assert "OPENAI_BASE_URL must start with https:// or http://" in message


def test_a_password_in_a_base_url_is_never_shown(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    ws.env["OPENAI_BASE_URL"] = "proxy-user:hunter2secret@proxy.internal/v1"
    message = refused(ws, admin_client)
    assert "OPENAI_BASE_URL must start with https:// or http://" in message
    assert "hunter2secret" not in message
