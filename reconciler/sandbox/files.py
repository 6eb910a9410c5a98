"""Sandbox routes of the Files API (`/v1/files...`) plus, through `uploads.py`, the Uploads API.

`create_app` mounts `ROUTES`. The record helpers live in `file_records.py` and are re-exported
here: other route modules call `create_file` (batch output, fine-tune results) and `read_file`
(training data, batch input) rather than touching the store's `"file"` kind themselves.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import uploads
from .file_records import (
    ALL_PURPOSES,
    FormFields,
    check_content,
    check_expires_after,
    check_purpose,
    check_size,
    create_file,
    delete_file,
    get_file,
    list_files,
    read_file,
    read_multipart,
    required_upload,
)
from .http import caller, invalid, json_response, paginate, sandbox_of

__all__ = ["ROUTES", "create_file", "read_file"]

_FORM_FIELDS = ("file", "purpose", "expires_after[anchor]", "expires_after[seconds]")


async def create_file_route(request: Request) -> Response:
    who = caller(request)
    form = await read_multipart(request, _FORM_FIELDS)
    purpose = check_purpose(form.get("purpose"))
    upload = required_upload(form, "file")
    data, filename = upload.data, upload.filename
    check_size(len(data), purpose)
    check_content(filename, purpose, data)
    sandbox = sandbox_of(request)
    expires_at = _expires_at(form, sandbox.clock.now())
    obj = create_file(sandbox, who.project_id, filename, purpose, data, expires_at=expires_at)
    return json_response(obj)


def _expires_at(form: FormFields, now: int) -> int | None:
    anchor = form.get("expires_after[anchor]")
    raw_seconds = form.get("expires_after[seconds]")
    if anchor is None and raw_seconds is None:
        return None
    seconds: Any = raw_seconds
    if isinstance(raw_seconds, str) and raw_seconds.lstrip("-").isdigit():
        seconds = int(raw_seconds)
    check_expires_after(anchor, seconds)
    return now + int(seconds)


async def list_files_route(request: Request) -> Response:
    who = caller(request)
    purpose = request.query_params.get("purpose")
    if purpose is not None:
        check_purpose(purpose, ALL_PURPOSES)
    files = list_files(sandbox_of(request), who.project_id, purpose)
    return paginate(request, files, default_limit=10_000, max_limit=10_000, default_order="desc")


async def retrieve_file_route(request: Request) -> Response:
    who = caller(request)
    obj = get_file(sandbox_of(request), who.project_id, request.path_params["file_id"])
    return json_response(obj)


async def delete_file_route(request: Request) -> Response:
    who = caller(request)
    sandbox = sandbox_of(request)
    obj = get_file(sandbox, who.project_id, request.path_params["file_id"])
    delete_file(sandbox, obj["id"])
    return json_response({"id": obj["id"], "object": "file", "deleted": True})


# Purposes whose bytes the real API refuses to give back ("Not allowed to download files of
# purpose: user_data"): what a user uploaded for a model to read stays write-only.
NOT_DOWNLOADABLE = frozenset({"assistants", "user_data", "fine-tune", "evals"})


async def file_content_route(request: Request) -> Response:
    who = caller(request)
    obj, data = read_file(sandbox_of(request), who.project_id, request.path_params["file_id"])
    if obj["purpose"] in NOT_DOWNLOADABLE:
        raise invalid(f"Not allowed to download files of purpose: {obj['purpose']}")
    return Response(data, media_type="application/octet-stream")


ROUTES: list[BaseRoute] = [
    Route("/files", create_file_route, methods=["POST"]),
    Route("/files", list_files_route, methods=["GET"]),
    Route("/files/{file_id}", retrieve_file_route, methods=["GET"]),
    Route("/files/{file_id}", delete_file_route, methods=["DELETE"]),
    Route("/files/{file_id}/content", file_content_route, methods=["GET"]),
    *uploads.ROUTES,
]
