"""Sandbox routes of the Uploads API (`/v1/uploads...`): large files sent in parts.

Mounted through `files.ROUTES`. An Upload is created `pending` with a declared size, receives
parts (multipart `data`, ≤ 64 MB each), and on `complete` becomes a File (via `create_file`)
nested in the Upload. A pending Upload expires an hour of sandbox time after creation (lazily,
when next read).
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .file_records import (
    MEGABYTE,
    check_content,
    check_expires_after,
    check_purpose,
    create_file,
    read_multipart,
    required_upload,
)
from .http import APIError, check_params, check_type, invalid, json_body, json_response, sandbox_of
from .http import caller as authenticate
from .store import new_id

Obj = dict[str, Any]

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision")
MAX_UPLOAD_BYTES = 8 * 1024 * MEGABYTE
MAX_PART_BYTES = 64 * MEGABYTE
UPLOAD_LIFETIME = 3600


def _not_found(upload_id: str) -> APIError:
    return APIError(404, f"No such Upload object: {upload_id}", param="upload_id")


def _load(request: Request) -> tuple[Obj, str]:
    """The caller's Upload (expired if its hour is up) and the project it belongs to."""
    sandbox = sandbox_of(request)
    project_id = authenticate(request).project_id
    upload_id = request.path_params["upload_id"]
    upload = sandbox.store.get("upload", upload_id, scope=project_id)
    if upload is None:
        raise _not_found(upload_id)
    if upload["status"] == "pending" and sandbox.clock.now() >= upload["expires_at"]:
        upload["status"] = "expired"
        sandbox.store.put("upload", upload, scope=project_id)
        _discard_parts(request, upload, project_id)
    return upload, project_id


def _require_pending(upload: Obj, action: str) -> None:
    if upload["status"] != "pending":
        raise invalid(
            f"Cannot {action} Upload {upload['id']} with status '{upload['status']}'.",
            param="upload_id",
        )


async def create_upload(request: Request) -> Response:
    project_id = authenticate(request).project_id
    body = await json_body(request)
    check_params(
        body,
        allowed=("expires_after",),
        required=("bytes", "filename", "mime_type", "purpose"),
    )
    check_type(body["bytes"], int, "bytes")
    check_type(body["filename"], str, "filename")
    check_type(body["mime_type"], str, "mime_type")
    purpose = check_purpose(body["purpose"], UPLOAD_PURPOSES)
    if not 0 < body["bytes"] <= MAX_UPLOAD_BYTES:
        raise invalid(
            f"Invalid 'bytes': an Upload can accept at most {MAX_UPLOAD_BYTES} bytes (8 GB) "
            f"and at least 1, but got {body['bytes']}.",
            param="bytes",
        )
    expires_after = body.get("expires_after")
    if expires_after is not None:
        check_type(expires_after, dict, "expires_after")
        check_expires_after(expires_after.get("anchor"), expires_after.get("seconds"))
    sandbox = sandbox_of(request)
    now = sandbox.clock.now()
    upload: Obj = {
        "id": new_id("upload_"),
        "object": "upload",
        "bytes": body["bytes"],
        "created_at": now,
        "expires_at": now + UPLOAD_LIFETIME,
        "filename": body["filename"],
        "purpose": purpose,
        "status": "pending",
        "file": None,
    }
    sandbox.store.put("upload", upload, scope=project_id)
    if expires_after is not None:
        sandbox.store.put(
            "upload_file_expiry",
            {"id": upload["id"], "seconds": expires_after["seconds"]},
            scope=project_id,
        )
    return json_response(upload)


async def add_part(request: Request) -> Response:
    upload, project_id = _load(request)
    form = await read_multipart(request, ("data",))
    _require_pending(upload, "add a Part to")
    data = required_upload(form, "data").data
    if len(data) > MAX_PART_BYTES:
        raise invalid(
            f"Part is too large ({len(data)} bytes). Each Part can be at most 64 MB.",
            param="data",
        )
    sandbox = sandbox_of(request)
    part: Obj = {
        "id": new_id("part_"),
        "object": "upload.part",
        "created_at": sandbox.clock.now(),
        "upload_id": upload["id"],
    }
    with sandbox.store.transaction():
        sandbox.store.put_blob(part["id"], data)
        sandbox.store.put("upload_part", part, scope=project_id)
    return json_response(part)


async def complete_upload(request: Request) -> Response:
    upload, project_id = _load(request)
    body = await json_body(request)
    check_params(body, allowed=("md5",), required=("part_ids",))
    check_type(body["part_ids"], list, "part_ids")
    _require_pending(upload, "complete")
    data = _assemble(request, upload, project_id, body["part_ids"])
    md5 = body.get("md5")
    if md5 is not None and hashlib.md5(data).hexdigest() != str(md5).lower():
        raise invalid(
            "The md5 checksum of the uploaded bytes does not match the 'md5' given.",
            param="md5",
        )
    check_content(upload["filename"], upload["purpose"], data)
    sandbox = sandbox_of(request)
    upload["file"] = create_file(
        sandbox,
        project_id,
        upload["filename"],
        upload["purpose"],
        data,
        expires_at=_file_expiry(request, upload, project_id),
    )
    upload["status"] = "completed"
    sandbox.store.put("upload", upload, scope=project_id)
    _discard_parts(request, upload, project_id)
    return json_response(upload)


def _assemble(request: Request, upload: Obj, project_id: str, part_ids: list[Any]) -> bytes:
    """The parts' bytes in the order given; they must add up to the declared size."""
    store = sandbox_of(request).store
    chunks: list[bytes] = []
    for index, part_id in enumerate(part_ids):
        part = store.get("upload_part", str(part_id), scope=project_id)
        if part is None or part["upload_id"] != upload["id"]:
            raise invalid(
                f"Part {part_id} does not belong to Upload {upload['id']}.",
                param=f"part_ids[{index}]",
            )
        chunks.append(store.get_blob(part["id"]) or b"")
    data = b"".join(chunks)
    if len(data) != upload["bytes"]:
        raise invalid(
            f"The number of bytes uploaded ({len(data)}) does not match the number of bytes "
            f"declared when the Upload was created ({upload['bytes']}).",
            param="part_ids",
        )
    return data


def _file_expiry(request: Request, upload: Obj, project_id: str) -> int | None:
    store = sandbox_of(request).store
    policy = store.get("upload_file_expiry", upload["id"], scope=project_id)
    if policy is None:
        return None
    return int(sandbox_of(request).clock.now() + policy["seconds"])


def _discard_parts(request: Request, upload: Obj, project_id: str) -> None:
    store = sandbox_of(request).store
    parts = store.list(
        "upload_part", scope=project_id, where=lambda p: p["upload_id"] == upload["id"]
    )
    with store.transaction():
        for part in parts:
            store.delete("upload_part", part["id"])
            store.delete_blob(part["id"])


async def cancel_upload(request: Request) -> Response:
    upload, project_id = _load(request)
    _require_pending(upload, "cancel")
    upload["status"] = "cancelled"
    sandbox_of(request).store.put("upload", upload, scope=project_id)
    _discard_parts(request, upload, project_id)
    return json_response(upload)


ROUTES: list[BaseRoute] = [
    Route("/uploads", create_upload, methods=["POST"]),
    Route("/uploads/{upload_id}/parts", add_part, methods=["POST"]),
    Route("/uploads/{upload_id}/complete", complete_upload, methods=["POST"]),
    Route("/uploads/{upload_id}/cancel", cancel_upload, methods=["POST"]),
]
