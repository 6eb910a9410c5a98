"""File records of the sandbox: the `"file"` kind, its bytes, expiry and the upload-time checks.

The files and uploads routes (`files.py`, `uploads.py`) and every other route module use these
helpers: `create_file` stores an `OpenAIFile` plus its bytes (batch output, fine-tune results),
`read_file` returns a project's file and bytes (training data, batch input) or raises 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from .http import APIError, check_range, invalid
from .store import new_id

if TYPE_CHECKING:
    from .state import Sandbox

Obj = dict[str, Any]

# What a caller may upload (POST /files); the API itself also writes the *_output/-results ones.
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
ALL_PURPOSES = (
    *UPLOAD_PURPOSES,
    "assistants_output",
    "batch_output",
    "fine-tune-results",
)
MEGABYTE = 1024 * 1024
MAX_FILE_BYTES = 512 * MEGABYTE
MAX_BATCH_FILE_BYTES = 200 * MEGABYTE
BATCH_FILE_LIFETIME = 30 * 24 * 3600  # files of purpose batch expire after 30 days by default
JSONL_PURPOSES = {"fine-tune": "Fine-Tuning", "batch": "Batch"}


def file_not_found(file_id: str) -> APIError:
    return APIError(404, f"No such File object: {file_id}", param="id")


def create_file(
    sandbox: Sandbox,
    project_id: str,
    filename: str,
    purpose: str,
    data: bytes,
    *,
    expires_at: int | None = None,
) -> Obj:
    """Store a processed `OpenAIFile` with its bytes in `project_id`; no content checks here.

    Files of purpose `batch` expire after 30 days unless `expires_at` says otherwise.
    """
    now = sandbox.clock.now()
    if expires_at is None and purpose == "batch":
        expires_at = now + BATCH_FILE_LIFETIME
    obj: Obj = {
        "id": new_id("file-"),
        "object": "file",
        "bytes": len(data),
        "created_at": now,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
    }
    # The document marks `expires_at`/`status_details` optional and not nullable: omit, not null.
    if expires_at is not None:
        obj["expires_at"] = expires_at
    with sandbox.store.transaction():
        sandbox.store.put_blob(obj["id"], data)
        sandbox.store.put("file", obj, scope=project_id)
    return obj


def get_file(sandbox: Sandbox, project_id: str, file_id: str) -> Obj:
    """A live file of the project (expired ones are gone), else 404 as the real API answers."""
    obj = sandbox.store.get("file", file_id, scope=project_id)
    if obj is None or has_expired(sandbox, obj):
        raise file_not_found(file_id)
    return obj


def read_file(sandbox: Sandbox, project_id: str, file_id: str) -> tuple[Obj, bytes]:
    """The project's file object and its bytes; APIError 404 when missing or not visible."""
    obj = get_file(sandbox, project_id, file_id)
    data = sandbox.store.get_blob(file_id)
    if data is None:
        raise file_not_found(file_id)
    return obj, data


def list_files(sandbox: Sandbox, project_id: str, purpose: str | None = None) -> list[Obj]:
    """The project's live files, oldest first, optionally of one purpose."""
    files = sandbox.store.list("file", scope=project_id)
    live = [f for f in files if not has_expired(sandbox, f)]
    return [f for f in live if purpose is None or f["purpose"] == purpose]


def delete_file(sandbox: Sandbox, file_id: str) -> None:
    with sandbox.store.transaction():
        sandbox.store.delete("file", file_id)
        sandbox.store.delete_blob(file_id)


def has_expired(sandbox: Sandbox, obj: Obj) -> bool:
    """Lazy expiry: a file past its `expires_at` is deleted the first time anyone looks."""
    expires_at = obj.get("expires_at")
    if expires_at is None or expires_at > sandbox.clock.now():
        return False
    delete_file(sandbox, str(obj["id"]))
    return True


# -- checks made when a caller uploads (POST /files and upload completion) ----------------------


def check_purpose(purpose: Any, allowed: tuple[str, ...] = UPLOAD_PURPOSES) -> str:
    if not isinstance(purpose, str) or purpose not in allowed:
        listed = ", ".join(repr(p) for p in allowed)
        raise invalid(f"'{purpose}' is not one of [{listed}] - 'purpose'", param="purpose")
    return purpose


def check_size(size: int, purpose: str) -> None:
    limit = MAX_BATCH_FILE_BYTES if purpose == "batch" else MAX_FILE_BYTES
    if size > limit:
        raise invalid(
            f"File is too large ({size} bytes). The maximum size for purpose '{purpose}' is "
            f"{limit // MEGABYTE} MB; use the Uploads API for files up to 8 GB.",
            param="file",
            code="file_too_large",
        )


def check_content(filename: str, purpose: str, data: bytes) -> None:
    """Light checks the real API makes at upload: JSONL files for fine-tuning and batches."""
    api = JSONL_PURPOSES.get(purpose)
    if api is None:
        return
    if not filename.lower().endswith(".jsonl"):
        raise invalid(f"Invalid file format for {api} API. Must be .jsonl", param="file")
    if purpose == "fine-tune":
        check_jsonl_lines(data)


def check_jsonl_lines(data: bytes) -> None:
    """Every non-blank line must be a JSON object (dictionary)."""
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            start = line[:5].decode("utf-8", errors="replace")
            raise invalid(
                "Expected file to have JSONL format, where every line is a valid JSON dictionary. "
                f'Line {number} is not a dictionary (HINT: line starts with: "{start}...").',
                param="file",
            )


def check_expires_after(anchor: Any, seconds: Any) -> None:
    """`expires_after`: anchor `created_at`, 3600 ≤ seconds ≤ 2592000."""
    if anchor != "created_at":
        raise invalid(
            f"Invalid value: '{anchor}'. Supported values are: 'created_at'.",
            param="expires_after.anchor",
            code="invalid_value",
        )
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise invalid(
            "Invalid type for 'expires_after.seconds': expected an integer.",
            param="expires_after.seconds",
            code="invalid_type",
        )
    check_range(seconds, "expires_after.seconds", minimum=3600, maximum=2592000)


# -- multipart bodies (POST /files, POST /uploads/{id}/parts) -----------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """One file field of a multipart body, read into memory."""

    filename: str
    data: bytes


FormFields = dict[str, "str | UploadedFile"]


async def read_multipart(request: Request, allowed: tuple[str, ...]) -> FormFields:
    """The fields of a multipart body (files read, temporary files closed); other content types
    and unknown fields are rejected as the real API does."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise invalid(
            f"Invalid Content-Type header ({content_type or 'none'}), expected "
            "multipart/form-data. (HINT: If you're using curl, you can pass -H "
            "'Content-Type: multipart/form-data')"
        )
    try:
        form = await request.form(max_files=1, max_fields=10)
    except HTTPException as exc:
        raise invalid(f"Could not parse multipart form: {exc.detail}") from None
    try:
        return {key: await _field_value(key, value, allowed) for key, value in form.multi_items()}
    finally:
        await form.close()


async def _field_value(
    key: str, value: str | UploadFile, allowed: tuple[str, ...]
) -> str | UploadedFile:
    if key not in allowed:
        raise invalid(f"Unknown parameter: '{key}'.", param=key, code="unknown_parameter")
    if isinstance(value, UploadFile):
        return UploadedFile(value.filename or "upload", await value.read())
    return value


def required_upload(form: FormFields, name: str) -> UploadedFile:
    value = form.get(name)
    if value is None:
        raise invalid(
            f"Missing required parameter: '{name}'.",
            param=name,
            code="missing_required_parameter",
        )
    if not isinstance(value, UploadedFile):
        raise invalid(
            f"Invalid type for '{name}': expected a file, but got a string instead.",
            param=name,
            code="invalid_type",
        )
    return value
