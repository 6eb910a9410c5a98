"""End to end (issue 13): `--target Kind/name` plans and applies a resource and what it
depends on, nothing else, through the CLI against the sandbox.

The demo's datasets go to the API key's own project (specs names no default project), so they
depend on no Project; here they go to Project/support (`default_project`), with that
project's key named under `project_keys` (a project key acts only in its own project)."""

from __future__ import annotations

import json

import openai

from .e2e import (
    SUPPORT_KEY_VARIABLE,
    Workspace,
    active_projects,
    files_named,
    project_key,
    use_support_project,
)

NAME = "TechCorp Support"


def _data_in_support(ws: Workspace) -> None:
    """The datasets in Project/support, which the plan creates (its key comes after)."""
    (ws.specs / "reconciler.yaml").write_text(
        "stack: demo\n"
        "default_project: Project/support\n"
        f"project_keys: {{Project/support: {SUPPORT_KEY_VARIABLE}}}\n",
        encoding="utf-8",
    )


def addresses(ws: Workspace, *args: str) -> list[str]:
    result = ws.run("plan", "specs", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return sorted(change["address"] for change in json.loads(result.stdout)["changes"])


def test_plan_target_takes_the_resource_and_its_dependencies(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    use_support_project(ws, admin_client)  # made beforehand: the plan adopts it by its name
    assert addresses(ws, "--target", "Dataset/support-train") == [
        "Dataset/support-train",
        "Project/support",
    ]
    assert addresses(ws, "--target", "Project/support") == ["Project/support"]
    both = ["--target", "Dataset/support-train", "--target", "Dataset/support-valid"]
    assert len(addresses(ws, *both)) == 3
    human = ws.run("plan", "specs", "--target", "Project/support")
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete; 0 unchanged." in (
        human.stdout
    )
    assert "adopt live project 'TechCorp Support'" in human.stdout
    assert "--target Project/support: only these and what they depend on are planned" in (
        human.stdout
    )
    assert "(1 of 3 resources)" in human.stdout


def test_apply_target_changes_only_that(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    _data_in_support(ws)
    applied = ws.run("apply", "specs", "--auto-approve", "--target", "Project/support")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 1 succeeded" in applied.output
    [project] = active_projects(admin_client, NAME)
    ws.env[SUPPORT_KEY_VARIABLE] = key = project_key(admin_client, project.id)
    assert files_named(client.with_options(api_key=key), project.id, "support-") == []
    rest = ws.run("plan", "specs")
    assert "Plan: 2 to create, 0 to update, 0 to replace, 0 to delete; 1 unchanged." in (
        rest.stdout
    )


def test_a_saved_targeted_plan_applies_what_it_targets(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    project_id, key = use_support_project(ws, admin_client)  # made beforehand, with its key
    saved = ws.run("plan", "specs", "--target", "Dataset/support-valid", "--out", "plan.json")
    assert saved.exit_code == 0, saved.output
    refused = ws.run("apply", "plan.json", "--auto-approve", "--target", "Project/support")
    assert refused.exit_code == 1
    assert "--target goes with `reconciler plan --target" in refused.stderr
    applied = ws.run("apply", "plan.json", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    [project] = active_projects(admin_client, NAME)
    assert project.id == project_id  # adopted, not created again
    support = client.with_options(api_key=key)
    assert len(files_named(support, project.id, "support-valid")) == 1
    assert files_named(support, project.id, "support-train") == []


def test_an_unknown_target_is_refused_with_a_suggestion(ws: Workspace) -> None:
    typo = ws.run("plan", "specs", "--target", "Dataset/support-trian")
    assert typo.exit_code == 1
    assert "--target Dataset/support-trian: no such resource in this stack's plan; did you " in (
        typo.stderr
    )
    assert "did you mean 'Dataset/support-train'?" in typo.stderr
    bare = ws.run("plan", "specs", "--target", "support")
    assert "write it as Kind/name" in bare.stderr
