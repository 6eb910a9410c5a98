"""Conformance: every sandbox route is an operation of OpenAI's OpenAPI document (or allow-listed
with a reason), the normalised document means what its authors meant, and the response checker
behind the conforming fixtures fails on a response that departs from it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from openapi_check import OpenAPIDocument, ResponseChecker
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from reconciler.sandbox import create_app

# Routes the sandbox serves that the document does not list, each with the reason.
ALLOWED_EXTRA_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/v1/evals/{}/runs/{}/cancel"): (
        "the SDK (openai 3.57) cancels eval runs here; the document only has "
        "POST /evals/{eval_id}/runs/{run_id}"
    ),
    ("GET", "/v1/organization/projects/{}/service_tier_settings"): (
        "called by the SDK's admin client; newer than the document (2026-08-21)"
    ),
    ("POST", "/v1/organization/projects/{}/service_tier_settings"): (
        "called by the SDK's admin client; newer than the document (2026-08-21)"
    ),
    ("POST", "/v1/organization/projects/{}/api_keys/{}"): (
        "the SDK updates a project API key here; newer than the document"
    ),
}
CONTROL_PREFIX = "/_sandbox/"  # the sandbox's own control routes (clock, faults, switches)


def route_table(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(METHOD, path template) for every route, descending into mounts; HEAD is implied by GET."""
    for route in routes:
        if isinstance(route, Mount):
            yield from route_table(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD":
                    yield method, prefix + route.path
        else:
            yield "?", f"{prefix}{getattr(route, 'path', route)!r} ({type(route).__name__})"


def shape(path: str) -> str:
    return re.sub(r"\{[^}/]+\}", "{}", path)


def unexplained_routes(app: Starlette, document: OpenAPIDocument) -> list[str]:
    """Routes that are neither an operation of the document, nor allow-listed, nor control."""
    problems = []
    for method, path in route_table(list(app.routes)):
        if path.startswith(CONTROL_PREFIX):
            continue
        if (method, shape(path)) in ALLOWED_EXTRA_ROUTES:
            continue
        if path.startswith("/v1/") and document.has_operation(method, path.removeprefix("/v1")):
            continue
        problems.append(f"{method} {path}")
    return problems


def test_every_sandbox_route_is_an_operation_of_the_document(
    openapi_document: OpenAPIDocument,
) -> None:
    app = create_app()
    try:
        assert unexplained_routes(app, openapi_document) == []
        assert ("GET", "/v1/files/{file_id}") in set(route_table(list(app.routes)))
    finally:
        app.state.sandbox.store.close()


def test_an_unknown_route_is_reported(openapi_document: OpenAPIDocument) -> None:
    async def nothing(request: Any) -> None:  # pragma: no cover - never called
        return None

    app = create_app()
    try:
        app.router.routes.append(Mount("/v1", routes=[Route("/files/{id}/thumbnail", nothing)]))
        app.router.routes.append(Route("/healthz", nothing))
        problems = unexplained_routes(app, openapi_document)
    finally:
        app.state.sandbox.store.close()
    assert problems == ["GET /v1/files/{id}/thumbnail", "GET /healthz"]


@pytest.mark.parametrize(("method", "path"), sorted(ALLOWED_EXTRA_ROUTES))
def test_allow_list_holds_only_routes_the_document_lacks(
    openapi_document: OpenAPIDocument, method: str, path: str
) -> None:
    assert not openapi_document.has_operation(method, path.removeprefix("/v1"))


# -- the normalised document ---------------------------------------------------------------------


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def test_no_openapi_3_0_leftovers_remain(openapi_document: OpenAPIDocument) -> None:
    nodes = list(_walk(openapi_document.document))
    assert not [n for n in nodes if n.get("nullable") is True]
    assert not [n for n in nodes if isinstance(n.get("exclusiveMinimum"), bool)]


JOB_POINTER = "/components/schemas/FineTuningJob/properties/hyperparameters"


@pytest.mark.parametrize(
    ("multiplier", "valid"), [(0, False), (-1, False), (0.1, True), ("auto", True)]
)
def test_exclusive_minimum_becomes_numeric(
    openapi_document: OpenAPIDocument, multiplier: object, valid: bool
) -> None:
    validator = openapi_document.validator(JOB_POINTER)
    body = {"learning_rate_multiplier": multiplier}
    assert validator.is_valid(body) is valid


def test_nullable_in_all_of_makes_the_whole_property_nullable(
    openapi_document: OpenAPIDocument,
) -> None:
    upload = {
        "id": "upload_1",
        "object": "upload",
        "bytes": 1,
        "created_at": 1,
        "expires_at": 2,
        "filename": "a",
        "purpose": "batch",
        "status": "pending",
    }
    validator = openapi_document.validator("/components/schemas/Upload")
    assert validator.is_valid({**upload, "file": None})
    assert not validator.is_valid({**upload, "file": {"id": "file-1"}})  # still an OpenAIFile


def test_operations_match_by_template(openapi_document: OpenAPIDocument) -> None:
    find = openapi_document.find_operation
    assert str(find("GET", "/v1/files/file-1/content")) == "GET /files/{file_id}/content"
    assert str(find("DELETE", "/v1/models/ft:gpt-4o:org:x:1")) == "DELETE /models/{model}"
    assert find("PATCH", "/v1/files/file-1") is None


# -- the response checker behind conforming_client ---------------------------------------------


def _response(method: str, path: str, status: int, body: Any) -> httpx2.Response:
    request = httpx2.Request(method, f"http://sandbox.test{path}")
    return httpx2.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        request=request,
    )


GOOD_FILE = {
    "id": "file-1",
    "object": "file",
    "bytes": 1,
    "created_at": 1,
    "filename": "a.txt",
    "purpose": "user_data",
    "status": "processed",
}
NO_BYTES = {k: v for k, v in GOOD_FILE.items() if k != "bytes"}
ERROR = {"message": "m", "type": "t", "param": None, "code": None}
ERROR_WITHOUT_CODE = {k: v for k, v in ERROR.items() if k != "code"}
BAD_RESPONSES = [
    ("missing field", "GET", "/v1/files/file-1", 200, NO_BYTES),
    ("wrong enum", "GET", "/v1/files/file-1", 200, {**GOOD_FILE, "status": "ready"}),
    ("error without code", "GET", "/v1/files/x", 404, {"error": ERROR_WITHOUT_CODE}),
    ("flat error", "POST", "/v1/files", 400, {"message": "bad"}),
    ("undocumented status", "GET", "/v1/files/file-1", 201, GOOD_FILE),
    ("unknown operation", "GET", "/v1/thumbnails", 200, {}),
]


@pytest.mark.parametrize(
    ("case", "method", "path", "status", "body"), BAD_RESPONSES, ids=[c[0] for c in BAD_RESPONSES]
)
def test_checker_fails_the_test_on_a_nonconforming_response(
    response_checker: ResponseChecker, case: str, method: str, path: str, status: int, body: Any
) -> None:
    with pytest.raises(pytest.fail.Exception, match="does not conform"):
        response_checker(_response(method, path, status, body))


def test_checker_accepts_a_conforming_response(response_checker: ResponseChecker) -> None:
    response_checker(_response("GET", "/v1/files/file-1", 200, GOOD_FILE))
    response_checker(
        _response(
            "GET",
            "/v1/files/x",
            404,
            {"error": {"message": "m", "type": "t", "param": None, "code": None}},
        )
    )
    assert response_checker.checked == ["GET /v1/files/file-1 -> 200", "GET /v1/files/x -> 404"]
