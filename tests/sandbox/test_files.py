"""Files and Uploads APIs of the sandbox, end to end through the official SDK over HTTP."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx2
import openai
import pytest
from sandbox_control import key_of_project

from reconciler.sandbox import SandboxHandle
from reconciler.sandbox.file_records import (
    BATCH_FILE_LIFETIME,
    MAX_BATCH_FILE_BYTES,
    MAX_FILE_BYTES,
    check_size,
)
from reconciler.sandbox.files import create_file, read_file
from reconciler.sandbox.http import APIError

CHAT_LINE = {
    "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
}
JSONL = (json.dumps(CHAT_LINE) + "\n") * 3
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))

# purpose -> a file the real API accepts for it
GOOD_UPLOADS: dict[str, tuple[str, bytes]] = {
    "assistants": ("notes.md", b"# notes\n"),
    "batch": ("input.jsonl", JSONL.encode()),
    "fine-tune": ("train.jsonl", JSONL.encode()),
    "vision": ("cat.png", PNG),
    "user_data": ("data.csv", b"a,b\n1,2\n"),
}


def advance(sandbox: SandboxHandle, seconds: float) -> None:
    response = httpx2.post(f"{sandbox.control_url}/clock/advance", json={"seconds": seconds})
    response.raise_for_status()


def other_project(sandbox: SandboxHandle) -> str:
    """A second active project, put straight into the store (the admin API is not under test)."""
    store = sandbox.app.state.sandbox.store
    project = {
        "object": "organization.project",
        "id": "proj_other",
        "name": "Other",
        "created_at": 0,
        "archived_at": None,
        "status": "active",
    }
    store.put("project", project)
    return "proj_other"


# -- create -----------------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", sorted(GOOD_UPLOADS))
def test_create_accepts_every_purpose(conforming_client: openai.OpenAI, purpose: str) -> None:
    filename, data = GOOD_UPLOADS[purpose]
    created = conforming_client.files.create(file=(filename, data), purpose=purpose)  # type: ignore[arg-type]
    assert (created.purpose, created.filename, created.bytes) == (purpose, filename, len(data))
    assert created.status == "processed"
    assert created.id.startswith("file-")
    if purpose in ("assistants", "fine-tune", "user_data"):  # write-only, as in the real API
        with pytest.raises(openai.BadRequestError, match=f"download files of purpose: {purpose}"):
            conforming_client.files.content(created.id)
    else:
        assert conforming_client.files.content(created.id).content == data


def test_evals_purpose_is_echoed_though_the_sdk_type_omits_it(
    conforming_http: httpx2.Client, sandbox: SandboxHandle
) -> None:
    # The document accepts purpose `evals` at upload but leaves it out of OpenAIFile.purpose;
    # the SDK's FileObject type follows the document, so strict parsing of this file fails.
    response = conforming_http.post(
        "files", files={"file": ("evals.jsonl", JSONL)}, data={"purpose": "evals"}
    )
    assert response.status_code == 200
    assert response.json()["purpose"] == "evals"
    strict = openai.OpenAI(
        api_key=sandbox.project_key,
        base_url=sandbox.base_url,
        max_retries=0,
        _strict_response_validation=True,
    )
    with strict, pytest.raises(openai.APIResponseValidationError):
        strict.files.retrieve(response.json()["id"])


def test_batch_files_expire_after_thirty_days_by_default(conforming_client: openai.OpenAI) -> None:
    created = conforming_client.files.create(file=("in.jsonl", JSONL.encode()), purpose="batch")
    assert created.expires_at == created.created_at + BATCH_FILE_LIFETIME
    other = conforming_client.files.create(file=("x.txt", b"x"), purpose="user_data")
    assert other.expires_at is None


def test_expires_after_sets_expiry_and_expired_files_disappear(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    created = conforming_client.files.create(
        file=("x.txt", b"x"),
        purpose="user_data",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    assert created.expires_at == created.created_at + 3600
    advance(sandbox, 3601)
    with pytest.raises(openai.NotFoundError):
        conforming_client.files.retrieve(created.id)
    assert conforming_client.files.list().data == []


BAD_CREATES: list[tuple[str, dict[str, Any], str, str | None]] = [
    ("wrong purpose", {"purpose": "answers"}, "is not one of", "purpose"),
    ("fine-tune not .jsonl", {"purpose": "fine-tune", "name": "t.json"}, "Must be .jsonl", "file"),
    ("batch not .jsonl", {"purpose": "batch", "name": "b.csv"}, "Batch API", "file"),
    (
        "fine-tune line not an object",
        {"purpose": "fine-tune", "data": b'{"a": 1}\n[1, 2]\n'},
        "Line 2 is not a dictionary",
        "file",
    ),
    (
        "fine-tune line not JSON",
        {"purpose": "fine-tune", "data": b"{oops\n"},
        "Line 1 is not a dictionary",
        "file",
    ),
    (
        "expiry too short",
        {"expires_after": {"anchor": "created_at", "seconds": 60}},
        ">= 3600",
        None,
    ),
    ("expiry anchor", {"expires_after": {"anchor": "now", "seconds": 3600}}, "created_at", None),
]


@pytest.mark.parametrize(
    ("case", "args", "message", "param"), BAD_CREATES, ids=[c[0] for c in BAD_CREATES]
)
def test_create_rejects_bad_input(
    conforming_client: openai.OpenAI,
    case: str,
    args: dict[str, Any],
    message: str,
    param: str | None,
) -> None:
    name, data = args.pop("name", "f.jsonl"), args.pop("data", JSONL.encode())
    args.setdefault("purpose", "user_data")
    with pytest.raises(openai.BadRequestError) as caught:
        conforming_client.files.create(file=(name, data), **args)
    assert message in caught.value.message
    if param is not None:
        assert caught.value.param == param


def test_create_without_a_file_names_the_param(conforming_http: httpx2.Client) -> None:
    response = conforming_http.post("files", files={"purpose": (None, "batch")})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"
    assert response.json()["error"]["code"] == "missing_required_parameter"


def test_create_with_json_body_is_rejected_like_the_real_api(
    conforming_http: httpx2.Client,
) -> None:
    response = conforming_http.post("files", json={"purpose": "batch"})
    assert response.status_code == 400
    assert "expected multipart/form-data" in response.json()["error"]["message"]


def test_create_rejects_unknown_form_fields(conforming_http: httpx2.Client) -> None:
    response = conforming_http.post(
        "files", files={"file": ("a.txt", b"a")}, data={"purpose": "user_data", "colour": "red"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "colour"


@pytest.mark.parametrize(
    ("purpose", "size", "ok"),
    [
        ("user_data", MAX_FILE_BYTES, True),
        ("user_data", MAX_FILE_BYTES + 1, False),
        ("batch", MAX_BATCH_FILE_BYTES, True),
        ("batch", MAX_BATCH_FILE_BYTES + 1, False),
    ],
)
def test_size_limits(purpose: str, size: int, ok: bool) -> None:
    if ok:
        check_size(size, purpose)
    else:
        with pytest.raises(APIError, match="too large"):
            check_size(size, purpose)


# -- list, retrieve, delete, content -----------------------------------------------------------


def test_list_defaults_to_newest_first_and_one_big_page(conforming_client: openai.OpenAI) -> None:
    ids = [
        conforming_client.files.create(file=(f"{i}.txt", b"x"), purpose="user_data").id
        for i in range(21)
    ]
    page = conforming_client.files.list()
    assert [f.id for f in page.data] == ids[::-1]  # default limit 10,000, not 20
    assert page.has_more is False


def test_list_filters_by_purpose_and_pages(conforming_client: openai.OpenAI) -> None:
    tune = [
        conforming_client.files.create(file=(f"{i}.jsonl", JSONL.encode()), purpose="fine-tune").id
        for i in range(3)
    ]
    conforming_client.files.create(file=("x.txt", b"x"), purpose="user_data")
    first = conforming_client.files.list(purpose="fine-tune", limit=2, order="asc")
    assert [f.id for f in first.data] == tune[:2] and first.has_more is True
    rest = conforming_client.files.list(purpose="fine-tune", limit=2, order="asc", after=tune[1])
    assert [f.id for f in rest.data] == tune[2:] and rest.has_more is False
    every = [f.id for f in conforming_client.files.list(purpose="fine-tune", limit=1)]
    assert every == tune[::-1]  # auto-pagination follows `after`


def test_list_rejects_an_unknown_purpose(conforming_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        conforming_client.files.list(purpose="batches")
    assert caught.value.param == "purpose"


def test_retrieve_delete_and_content(conforming_client: openai.OpenAI) -> None:
    data = JSONL.encode() * 4
    created = conforming_client.files.create(file=("in.jsonl", data), purpose="batch")
    assert conforming_client.files.retrieve(created.id) == created
    assert conforming_client.files.content(created.id).content == data
    deleted = conforming_client.files.delete(created.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (created.id, "file", True)
    for call in (
        conforming_client.files.retrieve,
        conforming_client.files.content,
        conforming_client.files.delete,
    ):
        with pytest.raises(openai.NotFoundError) as caught:
            call(created.id)
        assert caught.value.body == {
            "message": f"No such File object: {created.id}",
            "type": "invalid_request_error",
            "param": "id",
            "code": None,
        }


def test_files_are_invisible_from_another_project(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    created = conforming_client.files.create(file=("a.txt", b"a"), purpose="user_data")
    other = conforming_client.with_options(api_key=key_of_project(sandbox, other_project(sandbox)))
    with pytest.raises(openai.NotFoundError):
        other.files.retrieve(created.id)
    assert other.files.list().data == []
    mine = other.files.create(file=("b.txt", b"b"), purpose="user_data")
    assert [f.id for f in conforming_client.files.list()] == [created.id]
    assert [f.id for f in other.files.list()] == [mine.id]


def test_files_need_a_project_key(conforming_http: httpx2.Client, sandbox: SandboxHandle) -> None:
    response = conforming_http.get(
        "files", headers={"Authorization": f"Bearer {sandbox.admin_key}"}
    )
    assert response.status_code == 401
    assert (
        conforming_http.get("files", headers={"Authorization": "Bearer sk-wrong"}).status_code
        == 401
    )


# -- helpers other route modules use ------------------------------------------------------------


def test_create_file_and_read_file_helpers(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    state = sandbox.app.state.sandbox
    project = state.default_project_id
    obj = create_file(state, project, "out.jsonl", "batch_output", b'{"id": 1}\n')
    assert obj["purpose"] == "batch_output" and obj["status"] == "processed"
    assert read_file(state, project, obj["id"]) == (obj, b'{"id": 1}\n')
    listed = conforming_client.files.list(purpose="batch_output").data
    assert [f.id for f in listed] == [obj["id"]]
    with pytest.raises(APIError) as caught:
        read_file(state, other_project(sandbox), obj["id"])
    assert caught.value.status == 404


# -- uploads ------------------------------------------------------------------------------------


def new_upload(client: openai.OpenAI, data: bytes, purpose: str = "fine-tune") -> Any:
    return client.uploads.create(
        bytes=len(data),
        filename="big.jsonl",
        mime_type="application/jsonl",
        purpose=purpose,  # type: ignore[arg-type]
    )


def test_upload_in_parts_completes_into_a_file(conforming_client: openai.OpenAI) -> None:
    data = JSONL.encode() * 10
    upload = new_upload(conforming_client, data)
    assert (upload.status, upload.file, upload.bytes) == ("pending", None, len(data))
    assert upload.expires_at == upload.created_at + 3600
    half = len(data) // 2
    second = conforming_client.uploads.parts.create(upload.id, data=data[half:])
    first = conforming_client.uploads.parts.create(upload.id, data=data[:half])
    assert (first.object, first.upload_id) == ("upload.part", upload.id)
    done = conforming_client.uploads.complete(
        upload.id, part_ids=[first.id, second.id], md5=hashlib.md5(data).hexdigest()
    )
    assert done.status == "completed" and done.file is not None
    assert (done.file.purpose, done.file.bytes, done.file.filename) == (
        "fine-tune",
        len(data),
        "big.jsonl",
    )
    with pytest.raises(openai.BadRequestError, match="download files of purpose: fine-tune"):
        conforming_client.files.content(done.file.id)  # reassembly: test_sdk_chunked_upload_helper
    with pytest.raises(openai.BadRequestError, match="status 'completed'"):
        conforming_client.uploads.cancel(upload.id)


def test_sdk_chunked_upload_helper(conforming_client: openai.OpenAI) -> None:
    data = JSONL.encode() * 5
    upload = conforming_client.uploads.upload_file_chunked(
        file=data,
        filename="in.jsonl",
        bytes=len(data),
        mime_type="application/jsonl",
        purpose="batch",
        part_size=100,
    )
    assert upload.status == "completed" and upload.file is not None
    assert conforming_client.files.content(upload.file.id).content == data


@pytest.mark.parametrize(
    ("parts", "complete_args", "message", "param"),
    [
        (2, {}, "does not match the number of bytes", "part_ids"),
        (3, {"md5": "0" * 32}, "md5", "md5"),
        (3, {"part_ids": ["part_unknown"]}, "does not belong", "part_ids[0]"),
    ],
    ids=["bytes short", "md5 mismatch", "foreign part"],
)
def test_complete_checks(
    conforming_client: openai.OpenAI,
    parts: int,
    complete_args: dict[str, Any],
    message: str,
    param: str,
) -> None:
    data = JSONL.encode()
    upload = new_upload(conforming_client, data * 3)
    ids = [conforming_client.uploads.parts.create(upload.id, data=data).id for _ in range(parts)]
    complete_args.setdefault("part_ids", ids)
    with pytest.raises(openai.BadRequestError) as caught:
        conforming_client.uploads.complete(upload.id, **complete_args)
    assert message in caught.value.message and caught.value.param == param


def test_completed_fine_tune_upload_is_checked_like_a_file(
    conforming_client: openai.OpenAI,
) -> None:
    data = b"not json\n"
    upload = new_upload(conforming_client, data)
    part = conforming_client.uploads.parts.create(upload.id, data=data)
    with pytest.raises(openai.BadRequestError, match="Line 1 is not a dictionary"):
        conforming_client.uploads.complete(upload.id, part_ids=[part.id])


def test_cancel_then_no_more_parts(conforming_client: openai.OpenAI) -> None:
    upload = new_upload(conforming_client, b"{}\n")
    cancelled = conforming_client.uploads.cancel(upload.id)
    assert cancelled.status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="status 'cancelled'"):
        conforming_client.uploads.parts.create(upload.id, data=b"{}\n")


def test_upload_expires_after_an_hour(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    upload = new_upload(conforming_client, b"{}\n")
    part = conforming_client.uploads.parts.create(upload.id, data=b"{}\n")
    advance(sandbox, 3600)
    with pytest.raises(openai.BadRequestError, match="status 'expired'"):
        conforming_client.uploads.complete(upload.id, part_ids=[part.id])
    store = sandbox.app.state.sandbox.store
    assert store.get("upload_part", part.id) is None and store.get_blob(part.id) is None


@pytest.mark.parametrize(
    ("args", "param"),
    [
        ({"bytes": 8 * 1024**3 + 1}, "bytes"),
        ({"bytes": 0}, "bytes"),
        ({"purpose": "user_data"}, "purpose"),
        ({"mime_type": None}, "mime_type"),
    ],
)
def test_create_upload_rejects(
    conforming_client: openai.OpenAI, args: dict[str, Any], param: str
) -> None:
    body = {
        "bytes": 10,
        "filename": "a.jsonl",
        "mime_type": "application/jsonl",
        "purpose": "batch",
    }
    body.update(args)
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(openai.BadRequestError) as caught:
        conforming_client.post("/uploads", body=body, cast_to=object)
    assert caught.value.param == param


def test_part_larger_than_64_mb_is_rejected(conforming_client: openai.OpenAI) -> None:
    upload = new_upload(conforming_client, b"x" * 100)
    with pytest.raises(openai.BadRequestError, match="at most 64 MB"):
        conforming_client.uploads.parts.create(upload.id, data=b"x" * (64 * 1024 * 1024 + 1))


def test_uploads_are_scoped_to_their_project(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    upload = new_upload(conforming_client, b"{}\n")
    other = conforming_client.with_options(api_key=key_of_project(sandbox, other_project(sandbox)))
    with pytest.raises(openai.NotFoundError):
        other.uploads.cancel(upload.id)
