"""End to end (issue 9): `on_delete: delete_model` through the CLI against the sandbox. The
old model is deleted only once the job replacing it succeeded, as its own irreversible plan
line (needs --allow-delete and --allow-archive); the setting outlives the manifest (the
ownership registry), so removing the FineTune deletes its model too; keep_model keeps it."""

from __future__ import annotations

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
  method:
    type: supervised
    supervised: {hyperparameters: {n_epochs: 3}}
  suffix: techcorp-support
  on_delete: delete_model
"""

JOB_HOURS = 3600 * 2
MODEL_PREFIX = "ft:gpt-4.1-mini-2025-04-14:sandbox:techcorp-support:"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_TODAY", "2026-12-02")


def _support(client: openai.OpenAI, admin_client: openai.OpenAI) -> openai.OpenAI:
    """Where the demo stack's jobs and models are: the API key's own project (it names no
    other)."""
    return client


def _models(client: openai.OpenAI) -> set[str]:
    return {m.id for m in client.models.list() if m.id.startswith(MODEL_PREFIX)}


def _final_models(client: openai.OpenAI) -> set[str]:
    return {m for m in _models(client) if ":ckpt-" not in m}


def _trained(ws: Workspace, sandbox: SandboxHandle, *flags: str) -> None:
    applied = ws.run("apply", "specs", "--auto-approve", *flags)
    assert applied.exit_code == 0, applied.output
    _finish_jobs(ws, sandbox)


def _finish_jobs(ws: Workspace, sandbox: SandboxHandle) -> None:
    """Move the clock past the jobs' end; the sandbox moves a job on when it is read."""
    advance_clock(sandbox, JOB_HOURS)
    assert ws.run("plan", "specs").exit_code == 0


def test_delete_model_deletes_the_old_model_once_its_replacement_succeeded(
    ws: Workspace, sandbox: SandboxHandle, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    (ws.specs / "fine-tune.yaml").write_text(FINE_TUNE, encoding="utf-8")
    _trained(ws, sandbox)
    support = _support(client, admin_client)
    (first,) = _final_models(support)
    registry = [f.filename for f in client.files.list(purpose="user_data")]
    assert any("--owner--FineTuneOnDelete--support-ft--delete_model--" in f for f in registry)

    ws.edit("fine-tune.yaml", lambda text: text.replace("n_epochs: 3", "n_epochs: 4"))
    replaced = ws.run("plan", "specs")
    assert replaced.exit_code == 0, replaced.output
    assert "-/+ FineTune/support-ft" in replaced.stdout
    assert f"the model {first} of job" in replaced.stdout
    assert "is deleted once the new job succeeds" in replaced.stdout
    assert "seed" not in replaced.stdout  # the API picked one: not declared, so no change
    applied = ws.run("apply", "specs", "--auto-approve", "--allow-delete", "--allow-archive")
    assert applied.exit_code == 0, applied.output
    assert _final_models(support) == {first}  # the new job runs: the old model still serves

    waiting = ws.run("plan", "specs")
    assert "delete model" not in waiting.stdout, waiting.stdout
    _finish_jobs(ws, sandbox)
    (second,) = _final_models(support) - {first}

    planned = ws.run("plan", "specs", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    line = f"- FineTune/support-ft#{first}  delete model (irreversible)"
    assert line in planned.stdout, planned.stdout
    assert f"succeeded: model {second}" in planned.stdout

    unguarded = ws.run("apply", "specs", "--auto-approve", "--allow-delete")
    assert "cannot be undone: it needs --allow-archive too" in unguarded.output
    assert first in _final_models(support)

    deleted = ws.run("apply", "specs", "--auto-approve", "--allow-delete", "--allow-archive")
    assert deleted.exit_code == 0, deleted.output
    assert _final_models(support) == {second}
    settled = ws.run("plan", "specs", "--detailed-exitcode")
    assert settled.exit_code == 0, settled.output

    # the manifest goes: the registry still says delete_model, so its model goes too
    (ws.specs / "fine-tune.yaml").unlink()
    removed = ws.run("plan", "specs", "--detailed-exitcode")
    assert removed.exit_code == 2, removed.output
    assert f"- FineTune/support-ft#{second}  delete model (irreversible)" in removed.stdout
    assert "no manifest declares FineTune/support-ft any more" in removed.stdout
    gone = ws.run("apply", "specs", "--auto-approve", "--allow-delete", "--allow-archive")
    assert gone.exit_code == 0, gone.output
    assert _final_models(support) == set()
    after = ws.run("plan", "specs", "--detailed-exitcode")
    assert after.exit_code == 0, after.output  # ended jobs are no plan lines: it converges


def test_keep_model_keeps_the_old_model_and_switching_is_an_update(
    ws: Workspace, sandbox: SandboxHandle, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    kept = FINE_TUNE.replace("on_delete: delete_model", "on_delete: keep_model")
    (ws.specs / "fine-tune.yaml").write_text(kept, encoding="utf-8")
    _trained(ws, sandbox)
    support = _support(client, admin_client)
    (first,) = _final_models(support)

    ws.edit("fine-tune.yaml", lambda text: text.replace("n_epochs: 3", "n_epochs: 4"))
    replaced = ws.run("plan", "specs")
    assert f"the model {first} of job" in replaced.stdout
    assert "is kept (on_delete: keep_model)" in replaced.stdout
    _trained(ws, sandbox, "--allow-delete", "--allow-archive")
    planned = ws.run("plan", "specs", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "delete model" not in planned.stdout
    assert len(_final_models(support)) == 2

    # switching to delete_model later is an update (remembered), then the old model goes
    ws.edit("fine-tune.yaml", lambda text: text.replace("keep_model", "delete_model"))
    switched = ws.run("plan", "specs")
    assert "~ FineTune/support-ft" in switched.stdout, switched.stdout
    assert "on_delete: delete_model (remembered in the ownership registry)" in switched.stdout
    assert f"- FineTune/support-ft#{first}  delete model (irreversible)" in switched.stdout
    applied = ws.run("apply", "specs", "--auto-approve", "--allow-delete", "--allow-archive")
    assert applied.exit_code == 0, applied.output
    assert first not in _final_models(support)
    assert ws.run("plan", "specs", "--detailed-exitcode").exit_code == 0
