"""Sandbox routes of the inference endpoints, and `execute`, their entry point for batch lines.

HTTP: `POST /responses`, `GET|DELETE /responses/{id}`, `GET /responses/{id}/input_items`,
`POST /chat/completions`, `POST /embeddings`, `POST /moderations`. Each handler authenticates
the caller, builds a `calls.Call` and delegates to its endpoint module (`responses_api`,
`chat_api`, `embeddings`, `moderation`); `stream: true` answers with server-sent events
(`streaming`). The batches routes call `execute(...)` once per input line, with `batch=True`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import chat_api, embeddings, moderation, responses_api, streaming
from .calls import Call
from .http import APIError, caller, json_body, json_response, paginate, sandbox_of

if TYPE_CHECKING:
    from .state import Sandbox

Obj = dict[str, Any]
Handler = Callable[[Call, Obj], Obj]

ENDPOINTS: dict[str, Handler] = {
    "/v1/responses": responses_api.create_response,
    "/v1/chat/completions": chat_api.create_chat_completion,
    "/v1/embeddings": embeddings.create_embeddings,
    "/v1/moderations": moderation.create_moderation,
}


def execute(
    sandbox: Sandbox,
    project_id: str,
    api_key_id: str,
    endpoint_url: str,
    body: Obj,
    *,
    batch: bool,
) -> tuple[int, Obj]:
    """Run one inference request outside HTTP: (status code, response body or error body)."""
    handler = ENDPOINTS.get(endpoint_url.split("?")[0])
    if handler is None:
        return 404, error_body(APIError(404, f"Invalid URL (POST {endpoint_url})"))
    if not isinstance(body, dict):
        return 400, error_body(APIError(400, "Invalid body: expected a JSON object."))
    if body.get("stream"):
        message = "Streaming is not supported in the Batch API: remove 'stream' from the body."
        return 400, error_body(APIError(400, message, param="stream"))
    call = Call(sandbox, project_id, api_key_id, batch=batch)
    try:
        return 200, handler(call, dict(body))
    except APIError as error:
        return error.status, error_body(error)


def error_body(error: APIError) -> Obj:
    return {
        "error": {
            "message": error.message,
            "type": error.type,
            "param": error.param,
            "code": error.code,
        }
    }


# -- HTTP ------------------------------------------------------------------------------------


def _call(request: Request) -> Call:
    who = caller(request)
    return Call(sandbox_of(request), who.project_id, who.key_id)


async def create_response(request: Request) -> Response:
    call = _call(request)
    body = await json_body(request)
    response = responses_api.create_response(call, body)
    if body.get("stream"):
        return streaming.sse_response(streaming.response_events(response))
    return json_response(response)


async def get_response(request: Request) -> Response:
    return json_response(responses_api.get_response(_call(request), _response_id(request)))


async def delete_response(request: Request) -> Response:
    return json_response(responses_api.delete_response(_call(request), _response_id(request)))


async def list_input_items(request: Request) -> Response:
    items = responses_api.input_items(_call(request), _response_id(request))
    return paginate(request, items, default_limit=20, max_limit=100, default_order="desc")


async def create_chat_completion(request: Request) -> Response:
    call = _call(request)
    body = await json_body(request)
    completion = chat_api.create_chat_completion(call, body)
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return streaming.sse_response(
            streaming.chat_chunks(completion, include_usage=include_usage)
        )
    return json_response(completion)


async def create_embeddings(request: Request) -> Response:
    call = _call(request)
    return json_response(embeddings.create_embeddings(call, await json_body(request)))


async def create_moderation(request: Request) -> Response:
    call = _call(request)
    return json_response(moderation.create_moderation(call, await json_body(request)))


def _response_id(request: Request) -> str:
    return str(request.path_params["response_id"])


ROUTES: list[BaseRoute] = [
    Route("/responses", create_response, methods=["POST"]),
    Route("/responses/{response_id}", get_response, methods=["GET"]),
    Route("/responses/{response_id}", delete_response, methods=["DELETE"]),
    Route("/responses/{response_id}/input_items", list_input_items, methods=["GET"]),
    Route("/chat/completions", create_chat_completion, methods=["POST"]),
    Route("/embeddings", create_embeddings, methods=["POST"]),
    Route("/moderations", create_moderation, methods=["POST"]),
]
