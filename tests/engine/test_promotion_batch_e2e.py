"""End to end (issue 11): `Promotion/x` as a Batch template's `model`, through the CLI.

The Batch waits while the Promotion has no winner, then runs on the winner's model id (its
requests say so, and so do the answers it writes); a `model:` naming no Promotion of the stack
is a `validate` error at the template's `model` line.
"""

from __future__ import annotations

import json

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock
from .test_promotion_e2e import _write_stack

BATCH = """---
apiVersion: reconciler/v1
kind: Dataset
metadata: {{name: asks}}
spec: {{file: data/asks.jsonl, purpose: evals}}
---
apiVersion: reconciler/v1
kind: Batch
metadata: {{name: answers}}
spec:
  endpoint: /v1/responses
  items: Dataset/asks
  template:
    model: {model}
    input: "{{{{item.question}}}} {{{{item.keyword}}}}"
  output: out/answers.jsonl
"""


def _add_batch(ws: Workspace, model: str) -> None:
    (ws.specs / "data" / "asks.jsonl").write_text(
        json.dumps({"item": {"question": "Can I get a refund?", "keyword": "refund"}}) + "\n"
    )
    (ws.specs / "batch.yaml").write_text(BATCH.format(model=model))


def test_a_batch_runs_on_the_promoted_model(
    ws: Workspace, client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    _write_stack(ws, "{criterion: mentions, min_pass_rate: 0.9}")
    _add_batch(ws, "Promotion/answer-model")
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert "Batch/answers  wait: waits for Promotion/answer-model" in planned.output

    applied = ws.run("apply", "specs", "--auto-approve")  # the runs, then the decision
    assert applied.exit_code == 0, applied.output
    assert not [b for b in client.batches.list() if b.metadata]  # the batch waited

    decided = ws.run("plan", "specs")
    assert decided.exit_code == 0, decided.output
    assert "+ Batch/answers  create" in decided.output
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    batches = [b for b in client.batches.list() if (b.metadata or {}).get("reconciler_name")]
    assert [b.metadata["reconciler_name"] for b in batches if b.metadata] == ["answers"]

    advance_clock(sandbox, 3600)
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0  # writes the answers
    rows = [
        json.loads(line) for line in (ws.specs / "out" / "answers.jsonl").read_text().splitlines()
    ]
    assert len(rows) == 1 and json.dumps(rows[0]).count('"model": "gpt-4.1-mini"') == 1, rows

    quiet = ws.run("plan", "specs", "--detailed-exitcode")
    assert quiet.exit_code == 0, quiet.output


def test_a_batch_model_naming_no_promotion_is_a_validate_error(ws: Workspace) -> None:
    _write_stack(ws, "{criterion: mentions, min_pass_rate: 0.9}")
    _add_batch(ws, "Promotion/nobody")
    checked = ws.run("validate", "specs")
    assert checked.exit_code == 1, checked.output
    assert "batch.yaml:" in checked.output
    assert "spec.template.model: Promotion/nobody is not declared in this stack" in checked.output
    assert "Traceback" not in checked.output


def test_a_batch_runs_on_a_fine_tunes_model(
    ws: Workspace, client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    _add_batch(ws, "FineTune/support-ft")
    (ws.specs / "fine-tune.yaml").write_text(
        """apiVersion: reconciler/v1
kind: FineTune
metadata: {name: support-ft}
spec:
  model: gpt-4.1-mini-2025-04-14
  training_file: Dataset/support-train
  method: {type: supervised, supervised: {hyperparameters: {n_epochs: 1}}}
  suffix: support
"""
    )
    first = ws.run("apply", "specs", "--auto-approve")
    assert first.exit_code == 0, first.output
    assert "Batch/answers  wait: waits for FineTune/support-ft" in first.output

    advance_clock(sandbox, 24 * 3600)  # the job succeeds
    (job,) = client.fine_tuning.jobs.list()
    assert job.status == "succeeded" and job.fine_tuned_model
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0  # the batch now
    advance_clock(sandbox, 3600)
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0  # writes the answers
    rows = [
        json.loads(line) for line in (ws.specs / "out" / "answers.jsonl").read_text().splitlines()
    ]
    assert len(rows) == 1 and f'"model": "{job.fine_tuned_model}"' in json.dumps(rows[0]), rows
