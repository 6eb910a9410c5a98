"""End to end (issue 9, "Done when"): the fine-tuning workflow from manifests, one chain through
the CLI against the sandbox, as a new user runs it: plan (cost, warnings) → apply → plan shows
`wait` with the job's progress → `apply --wait` follows it to the end → plan is a no-op naming
the model → `show --plot` writes a PNG → a changed n_epochs plans a replace that keeps the old
model → `training_not_available` is one clear message. The sandbox's clock is moved instead of
sleeping."""

from __future__ import annotations

import json
import re
import urllib.request

import openai
import pytest

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock
from .fine_tune_clock import clock_moves_on_each_look

FINE_TUNE = """apiVersion: reconciler/v1
kind: FineTune
metadata: {name: support-ft}
spec:
  model: gpt-4o-2024-08-06
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
    ws: Workspace,
    sandbox: SandboxHandle,
    client: openai.OpenAI,
    admin_client: openai.OpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (ws.specs / "fine-tune.yaml").write_text(FINE_TUNE, encoding="utf-8")

    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert "+ FineTune/support-ft" in planned.stdout
    assert "training cost: est. $" in planned.stdout
    assert "× 3 epochs (declared)" in planned.stdout
    assert "no training cost is charged for it" in planned.stdout
    # GET /v1/models lists this date (the sandbox's), which wins over the shipped table's
    assert "'gpt-4o-2024-08-06' shuts down on 2027-02-10, in 70 days" in planned.stdout
    assert "(source: GET /v1/models (shutdown_date))" in planned.stdout

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

    advance_clock(sandbox, 120)  # past validation, queue and warm-up: training steps
    running = ws.run("plan", "specs", "--detailed-exitcode")
    assert running.exit_code == 0, running.output
    progress = re.search(rf"wait: job {job.id} is running, step (\d+) of (\d+)", running.stdout)
    assert progress is not None, running.stdout
    assert 0 < int(progress[1]) < int(progress[2])
    assert "estimated finish 20" in running.stdout and " UTC" in running.stdout

    clock_moves_on_each_look(monkeypatch, sandbox, 600)
    waited = ws.run("apply", "specs", "--auto-approve", "--wait")
    assert waited.exit_code == 0, waited.output
    assert "Waiting for 1 job(s)" in waited.stdout
    assert "All 1 job(s) succeeded." in waited.stdout

    done = ws.run("plan", "specs", "--detailed-exitcode")
    assert done.exit_code == 0, done.output
    assert "succeeded: model ft:gpt-4o-2024-08-06:sandbox:techcorp-support:" in done.stdout

    plot = ws.root / "support-ft.png"
    shown = ws.run("show", "FineTune/support-ft", "specs", "--plot", str(plot))
    assert shown.exit_code == 0, shown.output
    assert f"Wrote the loss and accuracy by step to {plot}." in shown.stdout
    png = plot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000

    ws.edit("fine-tune.yaml", lambda text: text.replace("n_epochs: 3", "n_epochs: 4"))
    replaced = ws.run("plan", "specs", "--detailed-exitcode")
    assert replaced.exit_code == 2, replaced.output
    assert "-/+ FineTune/support-ft" in replaced.stdout
    assert "n_epochs: 3 → 4" in replaced.stdout
    assert "is kept (on_delete: keep_model)" in replaced.stdout
    assert "batch_size" not in replaced.stdout  # 'auto' resolved by the API is no change

    _switch(sandbox, training_not_available=True)
    refused = ws.run("apply", "specs", "--auto-approve")
    assert refused.exit_code == 1, refused.output
    assert "can no longer create fine-tuning jobs" in refused.output
    assert "2027-01-06" in refused.output
    assert "Traceback" not in refused.output
    assert refused.output.count("training_not_available") == 1
    models = [m.id for m in _project_client(client, admin_client).models.list()]
    assert any(m.startswith("ft:gpt-4o-2024-08-06:sandbox:techcorp-support:") for m in models)
