"""End to end (issue 9): the fine-tuning workflow from manifests, through the CLI, against the
sandbox: plan (cost, shutdown warning) → apply → plan waits on the running job → clock
advanced → a no-op naming the model → a changed n_epochs replaces it, keeping the old model →
`training_not_available` is one clear message."""

from __future__ import annotations

import json
import urllib.request

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
  metadata: {team: support}
"""


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_TODAY", "2026-12-02")


def _switch(sandbox: SandboxHandle, **switches: bool) -> None:
    request = urllib.request.Request(
        sandbox.control_url + "/switches",
        data=json.dumps(switches).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _jobs(client: openai.OpenAI) -> list[object]:
    return [job for job in client.fine_tuning.jobs.list(limit=100)]


def _project_client(client: openai.OpenAI, admin_client: openai.OpenAI) -> openai.OpenAI:
    """Where the demo stack's jobs go: the API key's own project (it names no other)."""
    return client


def test_the_fine_tuning_workflow_from_manifests(
    ws: Workspace, sandbox: SandboxHandle, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    (ws.specs / "fine-tune.yaml").write_text(FINE_TUNE, encoding="utf-8")

    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert "+ FineTune/support-ft" in planned.stdout
    assert "training cost: est. $" in planned.stdout
    assert "× 3 epochs (declared)" in planned.stdout
    assert "no training cost is charged for it" in planned.stdout
    assert "shuts down on 2027-01-14, in 43 days" in planned.stdout

    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    jobs = _jobs(_project_client(client, admin_client))
    assert len(jobs) == 1
    job = jobs[0]
    assert job.metadata["reconciler-name"] == "support-ft"  # type: ignore[attr-defined]
    assert job.metadata["team"] == "support"  # type: ignore[attr-defined]

    waiting = ws.run("plan", "specs", "--detailed-exitcode")
    assert waiting.exit_code == 0, waiting.output
    assert f"FineTune/support-ft  wait: job {job.id} is validating_files" in waiting.stdout

    advance_clock(sandbox, 3600 * 2)
    done = ws.run("plan", "specs", "--detailed-exitcode")
    assert done.exit_code == 0, done.output
    assert "succeeded: model ft:gpt-4.1-mini-2025-04-14:sandbox:techcorp-support:" in done.stdout

    ws.edit("fine-tune.yaml", lambda text: text.replace("n_epochs: 3", "n_epochs: 4"))
    replaced = ws.run("plan", "specs", "--detailed-exitcode")
    assert replaced.exit_code == 2, replaced.output
    assert "-/+ FineTune/support-ft" in replaced.stdout
    assert "n_epochs: 3 → 4" in replaced.stdout
    assert "batch_size" not in replaced.stdout  # 'auto' resolved by the API is no change

    _switch(sandbox, training_not_available=True)
    refused = ws.run("apply", "specs", "--auto-approve")
    assert refused.exit_code == 1, refused.output
    assert "can no longer create fine-tuning jobs" in refused.output
    assert "2027-01-06" in refused.output
    assert "Traceback" not in refused.output
    assert refused.output.count("training_not_available") == 1
    models = [m.id for m in _project_client(client, admin_client).models.list()]
    assert any(m.startswith("ft:gpt-4.1-mini-2025-04-14:sandbox:techcorp-support:") for m in models)
