"""End to end (issue 10): an input over the Batch API's limits is split into several batches,
tagged `reconciler_part: k/n`, and joined as one; an apply stopped between two parts is resumed
by the next one without a second batch for any part. The limit is lowered for the test with
`RECONCILER_BATCH_MAX_REQUESTS` (the API's is 50,000)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.resources.batches import Batches

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock
from .test_batch_e2e import _stack_batches, _write_stack


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_split_into_parts_joined_and_replayed_as_one(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    ws.env["RECONCILER_BATCH_MAX_REQUESTS"] = "2"
    _write_stack(ws, bad={4})
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert "split into 3 batches (at most 2 requests" in planned.output

    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    batches = _stack_batches(admin_client)
    assert sorted(b.metadata["reconciler_part"] for b in batches) == ["1/3", "2/3", "3/3"]

    advance_clock(sandbox, 120)
    replayed = ws.run("apply", "specs", "--auto-approve")  # r4 failed: replayed alone
    assert replayed.exit_code == 0, replayed.output
    batches = _stack_batches(admin_client)
    replays = [b for b in batches if b.metadata["reconciler_replay"] == "1"]
    assert len(batches) == 4 and [b.metadata["reconciler_part"] for b in replays] == ["1/1"]

    advance_clock(sandbox, 120)
    written = ws.run("apply", "specs", "--auto-approve")
    assert written.exit_code == 0, written.output
    results = _lines(ws.specs / "out" / "review-sentiment.jsonl")
    assert [r["custom_id"] for r in results] == ["r1", "r2", "r3", "r5"]
    assert [f["custom_id"] for f in _lines(ws.specs / "out" / "review-sentiment.failed.jsonl")] == [
        "r4"
    ]
    again = ws.run("plan", "specs", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert len(_stack_batches(admin_client)) == 4


def test_an_apply_stopped_between_parts_is_resumed(
    ws: Workspace, admin_client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.env["RECONCILER_BATCH_MAX_REQUESTS"] = "2"
    _write_stack(ws, bad=set())
    create: Callable[..., Any] = Batches.create
    calls: list[int] = []

    def stopped_after_one(self: Batches, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            raise openai.PermissionDeniedError(
                "stopped", response=_response(), body={"error": {"message": "stopped"}}
            )
        return create(self, **kwargs)

    monkeypatch.setattr(Batches, "create", stopped_after_one)
    stopped = ws.run("apply", "specs", "--auto-approve")
    assert stopped.exit_code == 1, stopped.output
    assert len(_stack_batches(admin_client)) == 1
    monkeypatch.setattr(Batches, "create", create)

    planned = ws.run("plan", "specs")
    assert "submit the 2 missing of 3 parts" in planned.output, planned.output
    resumed = ws.run("apply", "specs", "--auto-approve")
    assert resumed.exit_code == 0, resumed.output
    parts = sorted(b.metadata["reconciler_part"] for b in _stack_batches(admin_client))
    assert parts == ["1/3", "2/3", "3/3"]


def _response() -> Any:
    import httpx

    return httpx.Response(403, request=httpx.Request("POST", "http://sandbox/v1/batches"))


def test_wait_follows_every_part_of_a_split_batch(
    ws: Workspace, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.commands import wait
    from reconciler.providers.base import JobProgress
    from reconciler.providers.batches import BatchProvider

    look = BatchProvider.progress
    seen: list[JobProgress] = []

    def progress(self: BatchProvider, live_id: str, project: str) -> JobProgress:
        advance_clock(sandbox, 30)
        seen.append(look(self, live_id, project))
        return seen[-1]

    monkeypatch.setattr(BatchProvider, "progress", progress)
    monkeypatch.setattr(wait, "DEFAULT_INTERVAL", "0s")
    ws.env["RECONCILER_BATCH_MAX_REQUESTS"] = "2"
    _write_stack(ws, bad=set())
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    waited = ws.run("wait", "specs", "--interval", "0s")
    assert waited.exit_code == 0, waited.output
    assert seen[-1].outcome == "succeeded" and (seen[-1].done, seen[-1].total) == (5, 5)
    assert "5 of 5 requests in 3 parts" in waited.stdout
