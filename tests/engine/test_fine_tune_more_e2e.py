"""End to end (issue 9, continued): sharing a fine-tuned model with other projects
(`share_with`), following jobs (`reconciler wait`, `apply --wait`) and seeing the result
(`reconciler show FineTune/<name>`, `--plot`), through the CLI against the sandbox, with the
sandbox's clock moved instead of sleeping."""

from __future__ import annotations

import json

import openai
import pytest

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock

FINE_TUNE = """apiVersion: reconciler/v1
kind: FineTune
metadata: {name: support-ft}
spec:
  model: gpt-4.1-mini-2025-04-14
  training_file: Dataset/support-train
  validation_file: Dataset/support-valid
  method:
    type: supervised
    supervised: {hyperparameters: {n_epochs: 3}}
  suffix: techcorp-support
  seed: 42
"""

ANALYTICS = """apiVersion: reconciler/v1
kind: Project
metadata: {name: analytics}
spec: {name: TechCorp Analytics}
"""

JOB_HOURS = 3600 * 2  # the sandbox's job over the demo data is done well within this


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_TODAY", "2026-12-02")


def _project_id(admin_client: openai.OpenAI, name: str) -> str:
    projects = admin_client.admin.organization.projects.list(limit=100)
    return next(p.id for p in projects if p.name == name)


def _shared_with(sandbox: SandboxHandle, client: openai.OpenAI, model: str) -> list[str]:
    admin = client.with_options(api_key=sandbox.admin_key)
    permissions = admin.fine_tuning.checkpoints.permissions.list(model)
    return sorted(p.project_id for p in permissions)


def _finished_job(ws: Workspace, sandbox: SandboxHandle, share_with: str = "") -> str:
    """Apply the FineTune (and the analytics project), let the job finish; the plan's text."""
    (ws.specs / "analytics.yaml").write_text(ANALYTICS, encoding="utf-8")
    (ws.specs / "fine-tune.yaml").write_text(FINE_TUNE + share_with, encoding="utf-8")
    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    advance_clock(sandbox, JOB_HOURS)
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    return planned.stdout


def test_share_with_shares_the_final_checkpoint_and_revokes_what_is_removed(
    ws: Workspace, sandbox: SandboxHandle, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    planned = _finished_job(ws, sandbox, "  share_with: [Project/analytics]\n")
    analytics = _project_id(admin_client, "TechCorp Analytics")
    assert "~ FineTune/support-ft" in planned
    assert f"shares the final checkpoint with {analytics}" in planned
    assert "-/+" not in planned  # sharing is an update, never a new job

    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    job = client.with_options(project=_project_id(admin_client, "TechCorp Support"))
    model = next(iter(job.fine_tuning.jobs.list(limit=10))).fine_tuned_model
    assert model is not None
    assert _shared_with(sandbox, client, model) == [analytics]
    quiet = ws.run("plan", "specs", "--detailed-exitcode")
    assert quiet.exit_code == 0, quiet.output
    assert "succeeded: model ft:" in quiet.stdout

    # removed outside Git: drift, and the plan shares it again
    admin = client.with_options(api_key=sandbox.admin_key).fine_tuning.checkpoints.permissions
    permission = next(iter(admin.list(model)))
    admin.delete(permission.id, fine_tuned_model_checkpoint=model)
    drifted = ws.run("drift", "specs")
    assert drifted.exit_code == 2, drifted.output
    assert f"shares the final checkpoint with {analytics}" in drifted.stdout

    # removed from the list: revoked
    ws.edit("fine-tune.yaml", lambda text: text.replace("share_with: [Project/analytics]", ""))
    admin.create(model, project_ids=[analytics])
    revoking = ws.run("plan", "specs", "--detailed-exitcode")
    assert revoking.exit_code == 2, revoking.output
    assert f"revokes {analytics}" in revoking.stdout
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    assert _shared_with(sandbox, client, model) == []


def test_the_permission_listing_counts_in_the_plan_s_minimum_requests(
    ws: Workspace, sandbox: SandboxHandle
) -> None:
    """One permission list per succeeded job's final checkpoint: the API has no other shape."""
    (ws.specs / "analytics.yaml").write_text(ANALYTICS, encoding="utf-8")
    (ws.specs / "fine-tune.yaml").write_text(
        FINE_TUNE + "  share_with: [Project/analytics]\n", encoding="utf-8"
    )
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    running = json.loads(ws.run("plan", "specs", "--format", "json").stdout)
    advance_clock(sandbox, JOB_HOURS)
    done = json.loads(ws.run("plan", "specs", "--format", "json").stdout)
    assert done["minimum_requests"] == running["minimum_requests"] + 1
    assert done["requests"] == running["requests"] + 1
