"""End to end (issue 9, continued): sharing a fine-tuned model with other projects
(`share_with`), following jobs (`reconciler wait`, `apply --wait`) and seeing the result
(`reconciler show FineTune/<name>`, `--plot`), through the CLI against the sandbox, with the
sandbox's clock moved instead of sleeping."""

from __future__ import annotations

import json
import sys

import openai
import pytest

from reconciler.commands import show
from reconciler.providers.base import JobProgress
from reconciler.providers.fine_tuning import FineTuneProvider
from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock
from .fine_tune_clock import clock_moves_on_each_look

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
    job = client  # the demo's jobs are in the key's own project
    model = next(iter(job.fine_tuning.jobs.list(limit=10))).fine_tuned_model
    assert model is not None
    assert _shared_with(sandbox, client, model) == [analytics]
    quiet = ws.run("plan", "specs", "--detailed-exitcode")
    assert quiet.exit_code == 0, quiet.output
    assert "succeeded: model ft:" in quiet.stdout
    registry = [f.filename for f in client.files.list(purpose="user_data")]
    assert any("--owner--FineTuneShared--support-ft--shared--" in f for f in registry)

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
    # the registry no longer says it is shared: plans read no permissions for it any more
    registry = [f.filename for f in client.files.list(purpose="user_data")]
    assert not any("--owner--FineTuneShared--support-ft--" in f for f in registry)


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


# -- reconciler wait / apply --wait ---------------------------------------------------------------


def _start_job(ws: Workspace) -> None:
    (ws.specs / "fine-tune.yaml").write_text(FINE_TUNE, encoding="utf-8")
    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output


def test_wait_follows_a_running_job_step_by_step_until_it_succeeds(
    ws: Workspace, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _start_job(ws)
    seen = clock_moves_on_each_look(monkeypatch, sandbox, 30)
    waited = ws.run("wait", "specs", "--interval", "0s")
    assert waited.exit_code == 0, waited.output
    assert "Waiting for 1 job(s); Ctrl-C stops waiting, never the jobs." in waited.stdout
    steps = [p.done for p in seen if p.status == "running" and p.total]
    assert len(steps) >= 3 and steps == sorted(steps)  # the bar moves forward
    assert "FineTune/support-ft (ftjob-" in waited.stdout
    assert "training loss=" in waited.stdout  # the job's latest events
    assert "succeeded, " in waited.stdout and "model ft:gpt-4.1-mini" in waited.stdout
    assert waited.stdout.rstrip().endswith("All 1 job(s) succeeded.")
    quiet = ws.run("plan", "specs", "--detailed-exitcode")
    assert quiet.exit_code == 0 and "succeeded: model ft:" in quiet.stdout


def test_wait_exits_2_at_its_timeout_and_leaves_the_job_running(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    _start_job(ws)
    waited = ws.run("wait", "specs", "--timeout", "0s", "--interval", "1s")
    assert waited.exit_code == 2, waited.output
    assert "Still running after 0s: FineTune/support-ft" in waited.stderr
    jobs = client  # the demo's jobs are in the key's own project
    assert next(iter(jobs.fine_tuning.jobs.list(limit=10))).status != "cancelled"


def test_wait_exits_1_when_a_job_is_cancelled_outside_git(
    ws: Workspace,
    sandbox: SandboxHandle,
    client: openai.OpenAI,
    admin_client: openai.OpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _start_job(ws)
    project = client  # the demo's jobs are in the key's own project
    job_id = next(iter(project.fine_tuning.jobs.list(limit=10))).id
    look = FineTuneProvider.progress

    def cancelled_meanwhile(self: FineTuneProvider, live_id: str, where: str) -> JobProgress:
        project.fine_tuning.jobs.cancel(job_id)
        return look(self, live_id, where)

    monkeypatch.setattr(FineTuneProvider, "progress", cancelled_meanwhile)
    waited = ws.run("wait", "specs", "--interval", "0s")
    assert waited.exit_code == 1, waited.output
    assert f"FineTune/support-ft ({job_id}): cancelled" in waited.stdout
    assert "error: 1 job(s) did not succeed: FineTune/support-ft." in waited.stderr


def test_wait_with_nothing_running_says_so(ws: Workspace) -> None:
    waited = ws.run("wait", "specs")
    assert waited.exit_code == 0, waited.output
    assert "nothing to wait for" in waited.stdout


def test_ctrl_c_stops_waiting_never_the_job(
    ws: Workspace,
    client: openai.OpenAI,
    admin_client: openai.OpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _start_job(ws)

    def interrupted(self: FineTuneProvider, live_id: str, project: str) -> JobProgress:
        raise KeyboardInterrupt

    monkeypatch.setattr(FineTuneProvider, "progress", interrupted)
    waited = ws.run("wait", "specs")
    assert waited.exit_code == 130, waited.output
    assert "Stopped waiting; the jobs keep running:" in waited.stderr
    project = client  # the demo's jobs are in the key's own project
    assert next(iter(project.fine_tuning.jobs.list(limit=10))).status != "cancelled"


def test_apply_wait_submits_then_follows_the_job(
    ws: Workspace, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    (ws.specs / "fine-tune.yaml").write_text(FINE_TUNE, encoding="utf-8")
    clock_moves_on_each_look(monkeypatch, sandbox, 600)
    applied = ws.run("apply", "specs", "--auto-approve", "--wait")
    assert applied.exit_code == 0, applied.output
    assert applied.stdout.index("Applying:") < applied.stdout.index("Waiting for 1 job(s)")
    assert "All 1 job(s) succeeded." in applied.stdout
    again = ws.run("apply", "specs", "--auto-approve", "--wait")
    assert again.exit_code == 0, again.output
    assert "nothing to wait for" in again.stdout


# -- reconciler show FineTune/<name> ------------------------------------------------------------


def test_show_a_fine_tune_live_with_its_metrics_and_plot(
    ws: Workspace, sandbox: SandboxHandle
) -> None:
    _finished_job(ws, sandbox)
    shown = ws.run("show", "FineTune/support-ft", "specs", "--plot", str(ws.root / "loss.png"))
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert "status:          succeeded" in out
    assert "model:           ft:gpt-4.1-mini-2025-04-14:sandbox:techcorp-support:" in out
    assert "trained tokens:" in out
    assert "hyperparameters: supervised: " in out and "n_epochs=3" in out
    assert "last events (newest first):" in out and "The job has successfully completed" in out
    assert "metrics (174 steps, 12 shown):" in out
    assert "train_loss" in out and "valid_loss" in out
    png = (ws.root / "loss.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    assert "loss by step" not in out  # not a terminal: the table only


def test_show_in_a_terminal_draws_a_text_chart_of_the_loss(
    ws: Workspace, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _finished_job(ws, sandbox)
    monkeypatch.setattr(show, "is_terminal", lambda: True)
    shown = ws.run("show", "FineTune/support-ft", "specs")
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    start = lines.index("  loss by step (* training, o validation):")
    chart = lines[start + 1 : start + 13]
    assert "┤*" in chart[0]  # the first steps have the highest loss
    assert "┤" in chart[9] and "└" + "─" * 60 in chart[10]
    assert chart[11].strip().startswith("1") and chart[11].strip().endswith("174")
    assert any("o" in line or "@" in line for line in chart[:10])


def test_show_plot_without_matplotlib_names_the_extra(
    ws: Workspace, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _finished_job(ws, sandbox)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    shown = ws.run("show", "FineTune/support-ft", "specs", "--plot", str(ws.root / "x.png"))
    assert shown.exit_code == 1
    assert "pip install 'reconciler[plot]'" in shown.stderr
    assert "Traceback" not in shown.output


def test_show_of_a_running_job_has_no_metrics_yet(ws: Workspace) -> None:
    _start_job(ws)
    shown = ws.run("show", "FineTune/support-ft", "specs")
    assert shown.exit_code == 0, shown.output
    assert "metrics: no result file yet" in shown.stdout


def test_show_planfile_from_another_folder_skips_the_staleness_check(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = ws.run("plan", "specs", "--out", "saved.plan")
    assert planned.exit_code == 0, planned.output
    elsewhere = ws.root / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    shown = ws.run("show", "../saved.plan")
    assert shown.exit_code == 0, shown.output
    assert "is gone" not in shown.output
    assert "the staleness check is skipped" in shown.stderr


def test_the_saved_plan_hint_keeps_sandbox(ws: Workspace) -> None:
    planned = ws.run("plan", "specs", "--sandbox", "--out", "saved.plan")
    assert planned.exit_code == 0, planned.output
    assert "run `reconciler apply saved.plan --sandbox` to apply it" in planned.stderr
