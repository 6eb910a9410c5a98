"""Datasets whose manifests are gone are planned for deletion even when no declared Dataset
names their project any more: the first upload into a project records it in the ownership
registry, so the plan lists that project's files (and only those projects')."""

from __future__ import annotations

import openai

from .e2e import Workspace, files_named, use_support_project


def test_datasets_removed_from_git_are_deleted_from_a_project_no_dataset_names(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    project, key = use_support_project(ws, admin_client)
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    assert len(files_named(client.with_options(api_key=key), project, "support-")) == 2
    homes = [f.filename for f in client.files.list() if "--owner--DatasetHome--" in f.filename]
    assert len(homes) == 1  # one record for the project, not one per dataset
    (ws.specs / "datasets.yaml").unlink()
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert "- Dataset/support-train" in planned.stdout
    assert "- Dataset/support-valid" in planned.stdout
    applied = ws.run("apply", "specs", "--auto-approve", "--allow-delete")
    assert applied.exit_code == 0, applied.output
    scoped = client.with_options(api_key=key)
    assert files_named(scoped, project, "reconciler--demo--support-") == []
    assert ws.run("plan", "specs", "--detailed-exitcode").exit_code == 0
