"""The batch lifecycle on the sandbox clock: validating → in_progress → finalizing → completed.

`batches.py` calls `refresh` before answering with a batch: it ends validation (→ failed with the
input file's errors, or in_progress), runs the requests whose time has come through
`inference.execute(..., batch=True)`, and on completion, expiry or cancellation writes the output
and error files in the real line format (`{"id", "custom_id", "response", "error"}`).
"""

from __future__ import annotations

import math
import secrets
from typing import TYPE_CHECKING, Any

import orjson

from . import inference
from .file_records import create_file

if TYPE_CHECKING:
    from .state import Sandbox

Obj = dict[str, Any]

BATCH_KIND = "batch"
STATE_KIND = "batch_state"
COMPLETION_WINDOW_S = 24 * 3600
VALIDATE_S = 5.0  # validating → in_progress (or failed)
START_S = 5.0  # in_progress: before the first request
PER_REQUEST_S = 0.25
FINALIZE_S = 5.0  # finalizing → completed
CANCEL_S = 10.0  # cancelling → cancelled
FINISHED = ("completed", "failed", "expired", "cancelled")


def hex_id(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def refresh(sandbox: Sandbox, project_id: str, batch: Obj, state: Obj) -> Obj:
    """Move the batch along its schedule up to now; persist and return it."""
    if batch["status"] in FINISHED:
        return batch
    before = orjson.dumps(batch)
    now = sandbox.clock.now()
    if batch["status"] == "validating" and now >= batch["created_at"] + VALIDATE_S:
        _end_validation(batch, state)
    if batch["status"] not in FINISHED and "in_progress_at" in batch:
        _run_due_requests(sandbox, project_id, batch, state, now)
    if batch["status"] not in FINISHED:
        _advance_status(sandbox, project_id, batch, state, now)
    if orjson.dumps(batch) != before:
        save(sandbox, project_id, batch, state)
    return batch


def _end_validation(batch: Obj, state: Obj) -> None:
    moment = batch["created_at"] + int(VALIDATE_S)
    if state["errors"]:
        batch.update(status="failed", failed_at=moment)
        batch["errors"] = {"object": "list", "data": state["errors"]}
        return
    batch.update(status="in_progress", in_progress_at=moment)
    batch["request_counts"]["total"] = len(state["requests"])
    if state["model"] is not None:
        batch["model"] = state["model"]


def _request_done_at(batch: Obj, index: int) -> float:
    return float(batch["in_progress_at"] + START_S + (index + 1) * PER_REQUEST_S)


def _run_due_requests(sandbox: Sandbox, project_id: str, batch: Obj, state: Obj, now: int) -> None:
    if state["stalled"]:
        return
    cutoff = now if state["cancel_at"] is None else min(now, state["cancel_at"])
    results = state["results"]
    requests = state["requests"]
    while len(results) < len(requests) and _request_done_at(batch, len(results)) <= cutoff:
        request = requests[len(results)]
        status, body = inference.execute(
            sandbox, project_id, state["api_key_id"], request["url"], request["body"], batch=True
        )
        results.append({"custom_id": request["custom_id"], "status_code": status, "body": body})
    succeeded = sum(1 for r in results if r["status_code"] == 200)
    batch["request_counts"].update(completed=succeeded, failed=len(results) - succeeded)
    batch["usage"] = usage_of(results)


def _advance_status(sandbox: Sandbox, project_id: str, batch: Obj, state: Obj, now: int) -> None:
    if state["cancel_at"] is not None:
        if now >= state["cancel_at"] + CANCEL_S:
            moment = int(state["cancel_at"] + CANCEL_S)
            _finish(sandbox, project_id, batch, state, "cancelled", moment)
        return
    if batch["status"] in ("in_progress", "finalizing") and not state["stalled"]:
        last = _request_done_at(batch, len(state["requests"]) - 1)
        if now >= last and batch["status"] == "in_progress":
            batch.update(status="finalizing", finalizing_at=math.ceil(last))
        if now >= last + FINALIZE_S:
            _finish(sandbox, project_id, batch, state, "completed", math.ceil(last + FINALIZE_S))
            return
    if now >= batch["expires_at"] and batch["status"] == "in_progress":
        _finish(sandbox, project_id, batch, state, "expired", batch["expires_at"])


_UNFINISHED = {
    "cancelled": ("batch_cancelled", "This request was cancelled before it could be executed."),
    "expired": (
        "batch_expired",
        "This request could not be executed before the completion window expired.",
    ),
}


def _finish(
    sandbox: Sandbox, project_id: str, batch: Obj, state: Obj, status: str, moment: int
) -> None:
    """Write the output and error files, then enter the final `status` at `moment`."""
    outputs: list[Obj] = []
    errors: list[Obj] = []
    for result in state["results"]:
        response = {
            "status_code": result["status_code"],
            "request_id": hex_id("req_"),
            "body": result["body"],
        }
        line = {
            "id": hex_id("batch_req_"),
            "custom_id": result["custom_id"],
            "response": response,
            "error": None,
        }
        (outputs if result["status_code"] == 200 else errors).append(line)
    if status in _UNFINISHED and "in_progress_at" in batch:
        code, message = _UNFINISHED[status]
        for request in state["requests"][len(state["results"]) :]:
            errors.append(
                {
                    "id": hex_id("batch_req_"),
                    "custom_id": request["custom_id"],
                    "response": None,
                    "error": {"code": code, "message": message},
                }
            )
    expiry = state["output_expiry"]
    for key, lines, name in (
        ("output_file_id", outputs, "output"),
        ("error_file_id", errors, "error"),
    ):
        if lines:
            data = b"".join(orjson.dumps(line) + b"\n" for line in lines)
            expires_at = None if expiry is None else sandbox.clock.now() + expiry
            file = create_file(
                sandbox,
                project_id,
                f"batch_{batch['id']}_{name}.jsonl",
                "batch_output",
                data,
                expires_at=expires_at,
            )
            batch[key] = file["id"]
    batch["status"] = status
    batch[f"{status}_at"] = moment


def usage_of(results: list[Obj]) -> Obj:
    """The batch's `usage`: the sum of every executed request's own usage."""
    totals = {"input": 0, "cached": 0, "output": 0, "reasoning": 0}
    for result in results:
        usage = result["body"].get("usage") if isinstance(result["body"], dict) else None
        if isinstance(usage, dict):
            _add_usage(totals, usage)
    return {
        "input_tokens": totals["input"],
        "input_tokens_details": {"cached_tokens": totals["cached"]},
        "output_tokens": totals["output"],
        "output_tokens_details": {"reasoning_tokens": totals["reasoning"]},
        "total_tokens": totals["input"] + totals["output"],
    }


def _add_usage(totals: dict[str, int], usage: Obj) -> None:
    """Responses (`input_tokens`) and chat/embeddings (`prompt_tokens`) usage shapes alike."""
    input_details = usage.get("input_tokens_details") or usage.get("prompt_tokens_details") or {}
    output_details = (
        usage.get("output_tokens_details") or usage.get("completion_tokens_details") or {}
    )
    totals["input"] += int(usage.get("input_tokens", usage.get("prompt_tokens", 0)) or 0)
    totals["output"] += int(usage.get("output_tokens", usage.get("completion_tokens", 0)) or 0)
    totals["cached"] += int(input_details.get("cached_tokens", 0) or 0)
    totals["reasoning"] += int(output_details.get("reasoning_tokens", 0) or 0)


def save(sandbox: Sandbox, project_id: str, batch: Obj, state: Obj) -> None:
    with sandbox.store.transaction():
        sandbox.store.put(BATCH_KIND, batch, scope=project_id)
        sandbox.store.put(STATE_KIND, state, scope=project_id)
