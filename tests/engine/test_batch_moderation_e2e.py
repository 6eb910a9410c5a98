"""End to end (issue 10): `moderation: ModerationPolicy/x` on a Batch, through the CLI, on the
sandbox (moderation scores from the word list in docs/sandbox/inference.md).

A request whose input the policy flags is never submitted and lands in `failures` with its
categories; a response the policy flags (the stand-in quotes a tool output that the input
moderation does not read) lands in `failures` too; no text is printed; a second plan of the
same input sends no moderation request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock

MODEL = "gpt-4.1-mini"
FLAGGED_WORD = "murdered"  # violence 0.6 in the sandbox's word list: the API flags it


def _request(i: int) -> dict[str, object]:
    text: object = f"Review {i}: great product, fast delivery."
    if i == 2:
        text = f"Review {i}: the courier {FLAGGED_WORD} my parcel."
    if i == 4:  # the tool output is not moderated as input; the answer quotes it
        text = [
            {"role": "user", "content": "Summarise the tracking note."},
            {"type": "function_call", "call_id": "c1", "name": "track", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": f"they {FLAGGED_WORD}"},
        ]
    body = {"model": MODEL, "input": text}
    return {"custom_id": f"r{i}", "method": "POST", "url": "/v1/responses", "body": body}


def _write_stack(ws: Workspace, *, action: str = "block") -> None:
    lines = [json.dumps(_request(i)) for i in range(1, 6)]
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
kind: ModerationPolicy
metadata: {{name: gate}}
spec:
  action: {action}
---
apiVersion: reconciler/v1
kind: Batch
metadata: {{name: reviews}}
spec:
  endpoint: /v1/responses
  input_file: Dataset/review-requests
  output: out/reviews.jsonl
  failures: out/reviews.failed.jsonl
  moderation: ModerationPolicy/gate
"""
    )


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _plan_json(ws: Workspace) -> dict[str, Any]:
    result = ws.run("plan", "specs", "--format", "json")
    assert result.exit_code == 0, result.output
    plan: dict[str, Any] = json.loads(result.stdout)
    return plan


def _change(plan: dict[str, Any], address: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in plan["changes"] if c["address"] == address)
    return found


def _batches(client: openai.OpenAI) -> list[Any]:
    """The stack's batches: in the API key's project (the demo stack names no other)."""
    return [
        b
        for b in client.batches.list(limit=100)
        if (b.metadata or {}).get("reconciler_name") == "reviews"
    ]


def test_flagged_inputs_never_submitted_flagged_outputs_to_failures(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    _write_stack(ws)
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert FLAGGED_WORD not in planned.output
    assert "reviews-batch.jsonl:2 (violence" in planned.output
    assert "1 flagged request(s) left out, written to failures" in planned.output

    first = _plan_json(ws)
    assert first["requests"] >= 1
    again = _plan_json(ws)  # same input: every score comes from the cache
    details = " ".join(_change(again, "ModerationPolicy/gate")["details"])
    assert "all cached: no request sent" in details

    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    batches = _batches(admin_client)
    assert len(batches) == 1
    advance_clock(sandbox, 120)
    counts = _batches(admin_client)[0].request_counts
    assert counts is not None and counts.total == 4  # r2 never reached the Batch API
    written = ws.run("apply", "specs", "--auto-approve")
    assert written.exit_code == 0, written.output
    assert FLAGGED_WORD not in written.output

    results = _lines(ws.specs / "out" / "reviews.jsonl")
    assert [r["custom_id"] for r in results] == ["r1", "r3", "r5"]
    failed = {f["custom_id"]: f for f in _lines(ws.specs / "out" / "reviews.failed.jsonl")}
    assert sorted(failed) == ["r2", "r4"]
    assert failed["r2"]["reason"].startswith("moderation: ModerationPolicy/gate flagged the input")
    assert "violence" in failed["r2"]["reason"]
    assert failed["r4"]["reason"].startswith("moderation: ModerationPolicy/gate flagged the output")
    assert "violence" in failed["r4"]["categories"]
    assert FLAGGED_WORD not in json.dumps(failed)

    final = ws.run("plan", "specs", "--detailed-exitcode")
    assert final.exit_code == 0, final.output
    assert "4/4 requests succeeded, 1 blocked by moderation before submit" in final.output


def test_warn_submits_everything_and_marks_flagged_outputs(
    ws: Workspace, sandbox: SandboxHandle
) -> None:
    _write_stack(ws, action="warn")
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert "ModerationPolicy/gate flags 1 requests" in planned.output
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    advance_clock(sandbox, 120)
    written = ws.run("apply", "specs", "--auto-approve")
    assert written.exit_code == 0, written.output
    results = {r["custom_id"]: r for r in _lines(ws.specs / "out" / "reviews.jsonl")}
    assert sorted(results) == ["r1", "r2", "r3", "r4", "r5"]
    assert "violence" in results["r4"]["moderation"]
    assert "moderation" not in results["r1"]
