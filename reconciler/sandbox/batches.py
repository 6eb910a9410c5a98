"""Sandbox routes of the Batch API: create, list, retrieve and cancel `/v1/batches`.

`create_app` mounts `ROUTES`. Creation checks the request and reads the input file, whose lines
`batches_input` checks; every read then calls `batches_lifecycle.refresh`, which moves the batch
along its schedule on the sandbox clock (validating → in_progress → finalizing → completed, or
failed / expired / cancelling → cancelled) and writes the output and error files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .batches_input import check_input
from .batches_lifecycle import (
    BATCH_KIND,
    COMPLETION_WINDOW_S,
    FINISHED,
    STATE_KIND,
    hex_id,
    refresh,
    save,
    usage_of,
)
from .file_records import check_expires_after, read_file
from .http import (
    APIError,
    Caller,
    caller,
    check_metadata,
    check_params,
    check_type,
    invalid,
    json_body,
    json_response,
    paginate,
    sandbox_of,
)

if TYPE_CHECKING:
    from .state import Sandbox

Obj = dict[str, Any]

ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
)
UNEMULATED_ENDPOINTS = ("/v1/images/generations", "/v1/images/edits", "/v1/videos")


# -- create --------------------------------------------------------------------------------------


async def create_batch(request: Request) -> Response:
    who = caller(request)
    sandbox = sandbox_of(request)
    body = await json_body(request)
    check_params(
        body,
        allowed=("metadata", "output_expires_after"),
        required=("input_file_id", "endpoint", "completion_window"),
    )
    endpoint = _check_endpoint(body["endpoint"])
    if body["completion_window"] != "24h":
        raise invalid(
            f"Invalid value: '{body['completion_window']}'. Supported values are: '24h'.",
            param="completion_window",
            code="invalid_value",
        )
    check_metadata(body.get("metadata"))
    output_expiry = _output_expiry(body.get("output_expires_after"))
    data = _input_file(sandbox, who.project_id, body["input_file_id"])
    batch = _new_batch(sandbox, body, endpoint)
    check = check_input(data, endpoint)
    state = {
        "id": batch["id"],
        "api_key_id": who.key_id,
        "stalled": sandbox.switch("batch_stalled"),
        "requests": check.requests,
        "errors": check.errors,
        "model": check.model,
        "results": [],
        "cancel_at": None,
        "output_expiry": output_expiry,
    }
    save(sandbox, who.project_id, batch, state)
    return json_response(batch)


def _check_endpoint(endpoint: Any) -> str:
    check_type(endpoint, str, "endpoint")
    if endpoint in UNEMULATED_ENDPOINTS:
        raise invalid(
            f"The sandbox does not emulate {endpoint}; its batches support {', '.join(ENDPOINTS)}.",
            param="endpoint",
            code="invalid_value",
        )
    if endpoint not in ENDPOINTS:
        listed = ", ".join(f"'{e}'" for e in (*ENDPOINTS, *UNEMULATED_ENDPOINTS))
        raise invalid(
            f"Invalid value: '{endpoint}'. Supported values are: {listed}.",
            param="endpoint",
            code="invalid_value",
        )
    return str(endpoint)


def _output_expiry(value: Any) -> int | None:
    """Seconds after creation that the output and error files expire (None = never)."""
    if value is None:
        return None
    check_type(value, dict, "output_expires_after")
    check_params(value, allowed=(), required=("anchor", "seconds"))
    try:
        check_expires_after(value["anchor"], value["seconds"])
    except APIError as exc:
        exc.param = str(exc.param).replace("expires_after", "output_expires_after")
        raise
    return int(value["seconds"])


def _input_file(sandbox: Sandbox, project_id: str, file_id: Any) -> bytes:
    check_type(file_id, str, "input_file_id")
    try:
        file, data = read_file(sandbox, project_id, file_id)
    except APIError as exc:
        exc.param = "input_file_id"
        raise
    if file["purpose"] != "batch":
        raise invalid(
            f"Invalid file purpose for input_file_id {file_id}: expected 'batch', got "
            f"'{file['purpose']}'.",
            param="input_file_id",
            code="invalid_file_purpose",
        )
    return data


def _new_batch(sandbox: Sandbox, body: Obj, endpoint: str) -> Obj:
    now = sandbox.clock.now()
    return {
        "id": hex_id("batch_"),
        "object": "batch",
        "endpoint": endpoint,
        "input_file_id": body["input_file_id"],
        "completion_window": "24h",
        "status": "validating",
        "created_at": now,
        "expires_at": now + COMPLETION_WINDOW_S,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "usage": usage_of([]),
        "metadata": body.get("metadata"),
    }


# -- read and cancel -------------------------------------------------------------------------------


def _load(request: Request) -> tuple[Caller, Obj, Obj]:
    who = caller(request)
    sandbox = sandbox_of(request)
    batch_id = request.path_params["batch_id"]
    batch = sandbox.store.get(BATCH_KIND, batch_id, scope=who.project_id)
    state = sandbox.store.get(STATE_KIND, batch_id, scope=who.project_id)
    if batch is None or state is None:
        raise APIError(404, f"No batch found with id '{batch_id}'.", param="batch_id")
    return who, refresh(sandbox, who.project_id, batch, state), state


async def retrieve_batch(request: Request) -> Response:
    _, batch, _ = _load(request)
    return json_response(batch)


async def list_batches(request: Request) -> Response:
    who = caller(request)
    sandbox = sandbox_of(request)
    batches = []
    for batch in sandbox.store.list(BATCH_KIND, scope=who.project_id):
        state = sandbox.store.get(STATE_KIND, batch["id"], scope=who.project_id)
        batches.append(batch if state is None else refresh(sandbox, who.project_id, batch, state))
    return paginate(request, batches, default_limit=20, has_order=False)


async def cancel_batch(request: Request) -> Response:
    who, batch, state = _load(request)
    sandbox = sandbox_of(request)
    if batch["status"] in FINISHED:
        raise APIError(
            409,
            f"Cannot cancel a batch with status '{batch['status']}'.",
            param="batch_id",
        )
    if batch["status"] != "cancelling":
        now = sandbox.clock.now()
        state["cancel_at"] = now
        batch.update(status="cancelling", cancelling_at=now)
        save(sandbox, who.project_id, batch, state)
    return json_response(batch)


ROUTES: list[BaseRoute] = [
    Route("/batches", create_batch, methods=["POST"]),
    Route("/batches", list_batches, methods=["GET"]),
    Route("/batches/{batch_id}", retrieve_batch, methods=["GET"]),
    Route("/batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
]
