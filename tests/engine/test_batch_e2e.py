"""End to end (issue 10): the batch workflow from manifests, through the CLI, on the sandbox.

plan with requests and cost → apply → plan says wait with progress → the clock moves → apply
writes the results joined by custom_id to `output` and the failed requests to `failures` → a
rerun replays only those → an unchanged rerun is a no-op.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import openai
import pytest

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock, freeze_clock

MODEL = "gpt-4.1-mini"


def _request(i: int, *, bad: bool = False) -> dict[str, object]:
    body: dict[str, object] = {"model": MODEL, "input": f"Review {i}: great product."}
    if bad:
        body["temperature"] = 5  # the endpoint refuses it: the request fails on its own
    return {"custom_id": f"r{i}", "method": "POST", "url": "/v1/responses", "body": body}


def _write_stack(ws: Workspace, *, bad: set[int], retry_failed: int = 1) -> None:
    lines = [json.dumps(_request(i, bad=i in bad)) for i in range(1, 6)]
    (ws.specs / "data" / "reviews-batch.jsonl").write_text("\n".join(lines) + "\n")
    (ws.specs / "batch.yaml").write_text(
        f"""apiVersion: reconciler/v1
kind: Dataset
metadata: {{name: review-requests}}
spec:
  file: data/reviews-batch.jsonl
  purpose: batch
  format: batch
  batch_endpoint: /v1/responses
---
apiVersion: reconciler/v1
kind: Batch
metadata: {{name: review-sentiment}}
spec:
  endpoint: /v1/responses
  input_file: Dataset/review-requests
  metadata: {{team: support}}
  output: out/review-sentiment.jsonl
  failures: out/review-sentiment.failed.jsonl
  retry_failed: {retry_failed}
"""
    )


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _stack_batches(client: openai.OpenAI) -> list[Any]:
    """The stack's batches: in the API key's project (the demo stack names no other)."""
    return [
        b
        for b in client.batches.list(limit=100)
        if (b.metadata or {}).get("reconciler_stack") == "demo"
    ]


def test_batch_plan_apply_wait_results_failures_replay_noop(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    freeze_clock(sandbox)
    _write_stack(ws, bad={4})
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert "Batch/review-sentiment" in planned.output
    assert "5 requests" in planned.output and "at batch prices" in planned.output

    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert len(_stack_batches(admin_client)) == 1

    advance_clock(sandbox, 11)  # validated, and the first requests ran
    waiting = ws.run("plan", "specs")
    assert waiting.exit_code == 0, waiting.output
    assert "Batch/review-sentiment  wait: batch_" in waiting.output
    assert re.search(r"is (validating|in_progress|finalizing), \d/5 requests done", waiting.output)

    advance_clock(sandbox, 60)
    written = ws.run("apply", "specs", "--auto-approve")
    assert written.exit_code == 0, written.output
    output = ws.specs / "out" / "review-sentiment.jsonl"
    failures = ws.specs / "out" / "review-sentiment.failed.jsonl"
    # retry_failed: 1 → first the failed request is replayed, alone
    batches = _stack_batches(admin_client)
    assert len(batches) == 2, written.output
    replay = next(b for b in batches if (b.metadata or {})["reconciler_replay"] == "1")
    advance_clock(sandbox, 60)
    counts = admin_client.batches.retrieve(replay.id).request_counts
    assert counts is not None and counts.total == 1  # only the failed request is replayed

    final = ws.run("apply", "specs", "--auto-approve")
    assert final.exit_code == 0, final.output
    results = _lines(output)
    assert [r["custom_id"] for r in results] == ["r1", "r2", "r3", "r5"]
    assert all(r["response"]["status"] == "completed" for r in results)
    failed = _lines(failures)
    assert [f["custom_id"] for f in failed] == ["r4"]
    assert "temperature" in str(failed[0]["reason"]) and failed[0]["line"] == 4

    again = ws.run("plan", "specs", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "complete: 4/5 requests succeeded" in again.output
    assert re.search(
        r"actual \$0\.\d{4,6} \(\d+ input tokens, 0% cached, \d+ output\)", again.output
    )
    assert "vs est. $" in again.output
    assert len(_stack_batches(admin_client)) == 2

    # a CI job that did not submit the batch: no local cache, no results; the platform's
    # files and the manifests are enough
    shutil.rmtree(ws.specs / ".reconciler")
    fetched = ws.run("output", "Batch/review-sentiment", "specs", "--to", "elsewhere/r.jsonl")
    assert fetched.exit_code == 0, fetched.output
    assert "4 results to elsewhere/r.jsonl, 1 failures" in fetched.output
    assert _lines(ws.root / "elsewhere" / "r.jsonl") == results
    assert _lines(ws.root / "elsewhere" / "r.failed.jsonl") == failed
    output.unlink()
    declared = ws.run("output", "Batch/review-sentiment", "specs")
    assert declared.exit_code == 0, declared.output
    assert _lines(output) == results
    recorded = ws.run("plan", "specs", "--detailed-exitcode")  # written as apply writes them
    assert recorded.exit_code == 0, recorded.output
    assert len(_stack_batches(admin_client)) == 2


def test_output_of_a_batch_not_submitted_says_what_to_do(ws: Workspace) -> None:
    _write_stack(ws, bad=set())
    result = ws.run("output", "Batch/review-sentiment", "specs")
    assert result.exit_code == 1
    assert "has no batch of its current spec and input" in result.output
    assert "reconciler apply" in result.output and "Traceback" not in result.output
    unknown = ws.run("output", "Dataset/review-requests", "specs")
    assert unknown.exit_code == 1
    assert "only Batch and Promotion objects have an output" in unknown.output


def _project_of(client: openai.OpenAI, batch_id: str) -> str:
    for project in client.admin.organization.projects.list(limit=100):
        ids = [b.id for b in client.with_options(project=project.id).batches.list(limit=100)]
        if batch_id in ids:
            return str(project.id)
    raise AssertionError(batch_id)


def test_apply_wait_follows_the_batch_then_writes_its_results_and_replays(
    ws: Workspace, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.commands import wait
    from reconciler.providers.base import JobProgress
    from reconciler.providers.batches import BatchProvider

    look = BatchProvider.progress

    def progress(self: BatchProvider, live_id: str, project: str) -> JobProgress:
        advance_clock(sandbox, 30)  # time passes between two looks
        return look(self, live_id, project)

    monkeypatch.setattr(BatchProvider, "progress", progress)
    monkeypatch.setattr(wait, "DEFAULT_INTERVAL", "0s")
    _write_stack(ws, bad={4})
    applied = ws.run("apply", "specs", "--auto-approve", "--wait")
    assert applied.exit_code == 0, applied.output
    assert applied.stdout.count("The jobs ended: applying again") == 2  # + the replay
    assert [r["custom_id"] for r in _lines(ws.specs / "out" / "review-sentiment.jsonl")] == [
        "r1",
        "r2",
        "r3",
        "r5",
    ]
    failed = _lines(ws.specs / "out" / "review-sentiment.failed.jsonl")
    assert [f["custom_id"] for f in failed] == ["r4"]
    quiet = ws.run("plan", "specs", "--detailed-exitcode")
    assert quiet.exit_code == 0, quiet.output
