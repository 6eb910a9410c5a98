"""End to end (issue 10): what replace and delete mean for a Batch, through the CLI, on the
sandbox. A new input while the old batch runs: a new batch, the old one cancelled. The manifest
removed while its batch runs: `apply --allow-delete` cancels it. A finished batch whose manifest
is removed: nothing to cancel, its results stay available (no delete in the plan)."""

from __future__ import annotations

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock
from .test_batch_e2e import _stack_batches, _write_stack


def _statuses(client: openai.OpenAI) -> list[str]:
    return [b.status for b in _stack_batches(client)]


def test_new_input_replaces_and_cancels_the_running_batch(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    _write_stack(ws, bad=set())
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    (first,) = _stack_batches(admin_client)
    assert first.status == "validating"

    ws.edit("data/reviews-batch.jsonl", lambda text: text.replace("Review 1:", "Review one:"))
    planned = ws.run("plan", "specs")
    assert "input changed: a new batch" in planned.output, planned.output
    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    statuses = {b.id: b.status for b in _stack_batches(admin_client)}
    assert len(statuses) == 2 and statuses[first.id] in ("cancelling", "cancelled"), statuses


def test_removed_manifest_cancels_a_running_batch_and_leaves_a_finished_one(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    _write_stack(ws, bad=set())
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    batch_yaml = ws.specs / "batch.yaml"
    kept = batch_yaml.read_text()
    batch_yaml.write_text(kept.split("---")[0])  # the Dataset stays, the Batch is gone

    planned = ws.run("plan", "specs")
    assert "no manifest declares Batch/review-sentiment any more: cancel running" in planned.output
    refused = ws.run("apply", "specs", "--auto-approve")
    assert _statuses(admin_client) == ["validating"], refused.output  # deletes need the flag
    deleted = ws.run("apply", "specs", "--auto-approve", "--allow-delete")
    assert deleted.exit_code == 0, deleted.output
    assert _statuses(admin_client)[0] in ("cancelling", "cancelled")  # the only batch
    cancelled = {b.id for b in _stack_batches(admin_client)}

    batch_yaml.write_text(kept)
    (ws.specs / "data" / "reviews-batch.jsonl").write_text(
        (ws.specs / "data" / "reviews-batch.jsonl").read_text().replace("Review", "Other")
    )
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    advance_clock(sandbox, 600)
    second = [b for b in _stack_batches(admin_client) if b.id not in cancelled]
    assert [b.status for b in second] == ["completed"]
    batch_yaml.write_text(kept.split("---")[0])
    finished = ws.run("plan", "specs", "--detailed-exitcode")
    assert finished.exit_code == 0, finished.output  # nothing to cancel: no change at all
