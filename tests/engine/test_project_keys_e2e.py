"""End to end: a two-project stack, its keys named under `project_keys` in reconciler.yaml.

A project key acts only in its own project (the sandbox answers 401 mismatched_project like
the real API), so the demo's data moved into Project/support needs that project's key: with
it the stack applies and plans clean; with one key only it fails at plan time, clearly; a
project created by the same apply blocks its data until its key exists (the first run).
"""

from __future__ import annotations

import openai

from .e2e import (
    SUPPORT_KEY_VARIABLE,
    Workspace,
    active_projects,
    files_named,
    home_files_named,
    project_key,
    use_support_project,
)


def test_a_two_project_stack_works_with_two_keys(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    project, key = use_support_project(ws, admin_client)
    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    support = client.with_options(api_key=key)
    assert len(files_named(support, project, "reconciler--demo--support-")) == 2
    assert home_files_named(client, "reconciler--demo--support-") == []
    again = ws.run("plan", "specs", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert key not in applied.output + again.output


def test_with_one_key_the_plan_names_the_missing_variable(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    use_support_project(ws, admin_client)
    del ws.env[SUPPORT_KEY_VARIABLE]
    failed = ws.run("plan", "specs")
    assert failed.exit_code == 1
    assert (
        "specs/reconciler.yaml:3:33: error: project_keys: Project/support (proj_"
    ) in failed.stderr
    assert f"the environment variable {SUPPORT_KEY_VARIABLE} is not set" in failed.stderr
    assert "Traceback" not in failed.output


def test_without_project_keys_the_apis_refusal_says_what_to_add(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    use_support_project(ws, admin_client)
    (ws.specs / "reconciler.yaml").write_text(
        "stack: demo\ndefault_project: Project/support\n", encoding="utf-8"
    )
    failed = ws.run("plan", "specs")
    assert failed.exit_code == 1
    assert "mismatched_project" not in failed.stdout
    assert "a project API key acts only in its own project" in failed.stderr
    assert "project_keys" in failed.stderr
    assert "Traceback" not in failed.output


def test_a_key_of_another_project_is_refused_by_the_api(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    use_support_project(ws, admin_client)
    other = admin_client.admin.organization.projects.create(name="Elsewhere")
    ws.env[SUPPORT_KEY_VARIABLE] = project_key(admin_client, other.id)
    failed = ws.run("plan", "specs")
    assert failed.exit_code == 1
    assert "HTTP 401: OpenAI-Project header should match project for API key" in failed.stderr
    assert ws.env[SUPPORT_KEY_VARIABLE] not in failed.output


def test_the_first_run_creates_the_project_and_blocks_its_data_until_its_key_exists(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    (ws.specs / "reconciler.yaml").write_text(
        "stack: demo\ndefault_project: Project/support\n"
        f"project_keys: {{Project/support: {SUPPORT_KEY_VARIABLE}}}\n",
        encoding="utf-8",
    )
    first = ws.run("apply", "specs", "--auto-approve")
    assert first.exit_code == 1, first.output
    assert "! Dataset/support-train  blocked: waits for Project/support's API key" in first.stdout
    assert f"then set {SUPPORT_KEY_VARIABLE}" in first.stdout
    assert "Apply incomplete: 1 succeeded, 0 failed, 0 skipped, 2 blocked." in first.stdout
    (project,) = active_projects(admin_client, "TechCorp Support")
    ws.env[SUPPORT_KEY_VARIABLE] = key = project_key(admin_client, project.id)
    second = ws.run("apply", "specs", "--auto-approve")
    assert second.exit_code == 0, second.output
    support = client.with_options(api_key=key)
    assert len(files_named(support, project.id, "reconciler--demo--support-")) == 2
    assert ws.run("plan", "specs", "--detailed-exitcode").exit_code == 0
