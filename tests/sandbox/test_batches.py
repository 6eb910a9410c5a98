"""Batch API of the sandbox, end to end through the official SDK over HTTP.

Every SDK response is validated against the OpenAPI document (`conforming_client`); batches move
by advancing the sandbox clock through the control route, never by sleeping.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from sandbox_control import advance, key_of_project, sdk, switch

from reconciler.sandbox import SandboxHandle, running_sandbox

MODEL = "gpt-4.1-mini-2025-04-14"
CHAT = "/v1/chat/completions"
DONE_AFTER = 120  # sandbox seconds: enough for any batch of these tests
DAY = 24 * 3600


def chat_request(custom_id: str, text: str, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "custom_id": custom_id,
        "method": "POST",
        "url": CHAT,
        "body": {"model": MODEL, "messages": [{"role": "user", "content": text}]},
    }
    request.update(overrides)
    return request


QUESTIONS = {"q1": "What is the capital of France?", "q2": "Name a prime number.", "q3": "Hi!"}
GOOD_INPUT = [chat_request(cid, text) for cid, text in QUESTIONS.items()]


def jsonl(rows: list[Any]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def upload(client: openai.OpenAI, data: bytes, purpose: str = "batch") -> str:
    return client.files.create(file=("input.jsonl", data), purpose=purpose).id  # type: ignore[arg-type]


def submit(client: openai.OpenAI, rows: list[Any] = GOOD_INPUT, **extra: Any) -> Any:
    return client.batches.create(
        input_file_id=upload(client, jsonl(rows)),
        endpoint=extra.pop("endpoint", CHAT),
        completion_window="24h",
        **extra,
    )


def read_lines(client: openai.OpenAI, file_id: str) -> list[dict[str, Any]]:
    text = client.files.content(file_id).read().decode()
    return [json.loads(line) for line in text.splitlines()]


# -- the seed workflow ---------------------------------------------------------------------------


def test_a_batch_runs_and_its_output_joins_back_by_custom_id(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    client = conforming_client
    batch = submit(client, metadata={"stack": "demo"})
    assert batch.status == "validating"
    assert batch.expires_at == batch.created_at + DAY

    advance(sandbox, 6)
    batch = client.batches.retrieve(batch.id)
    assert batch.status == "in_progress"
    assert batch.model == MODEL
    assert batch.request_counts is not None and batch.request_counts.total == 3

    advance(sandbox, DONE_AFTER)
    batch = client.batches.retrieve(batch.id)
    assert batch.status == "completed"
    assert batch.request_counts.completed == 3 and batch.request_counts.failed == 0
    assert batch.error_file_id is None and batch.output_file_id is not None
    assert (
        batch.created_at
        < batch.in_progress_at  # type: ignore[operator]
        < batch.finalizing_at  # type: ignore[operator]
        < batch.completed_at  # type: ignore[operator]
    )
    assert batch.usage is not None and batch.usage.input_tokens > 0

    output = client.files.retrieve(batch.output_file_id)
    assert output.purpose == "batch_output"
    lines = read_lines(client, output.id)
    by_custom_id = {line["custom_id"]: line for line in lines}
    assert set(by_custom_id) == set(QUESTIONS)
    for line in lines:
        assert line["id"].startswith("batch_req_") and line["error"] is None
        assert line["response"]["status_code"] == 200
        assert line["response"]["request_id"].startswith("req_")
        assert line["response"]["body"]["object"] == "chat.completion"
        assert line["response"]["body"]["model"].startswith(MODEL)


def test_the_same_batch_gives_the_same_answers(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    first, second = submit(conforming_client), submit(conforming_client)
    advance(sandbox, DONE_AFTER)
    answers = []
    for batch_id in (first.id, second.id):
        batch = conforming_client.batches.retrieve(batch_id)
        assert batch.output_file_id is not None
        lines = read_lines(conforming_client, batch.output_file_id)
        answers.append(
            {
                line["custom_id"]: line["response"]["body"]["choices"][0]["message"]["content"]
                for line in lines
            }
        )
    assert answers[0] == answers[1]


def test_failing_requests_go_to_the_error_file(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    bad = chat_request("bad", "x")
    bad["body"]["temperature"] = 7
    batch = submit(conforming_client, [*GOOD_INPUT[:2], bad])
    advance(sandbox, DONE_AFTER)
    batch = conforming_client.batches.retrieve(batch.id)
    assert batch.status == "completed"
    assert batch.request_counts is not None
    assert (batch.request_counts.completed, batch.request_counts.failed) == (2, 1)
    assert batch.error_file_id is not None and batch.output_file_id is not None
    [line] = read_lines(conforming_client, batch.error_file_id)
    assert line["custom_id"] == "bad" and line["error"] is None
    assert line["response"]["status_code"] == 400
    assert line["response"]["body"]["error"]["param"] == "temperature"


# -- input files that fail validation ------------------------------------------------------------


def _without(key: str) -> dict[str, Any]:
    request = chat_request("q9", "x")
    del request[key]
    return request


@pytest.mark.parametrize(
    ("rows", "code", "line", "param"),
    [
        ([GOOD_INPUT[0], "not an object"], "invalid_json_line", 2, None),
        ([GOOD_INPUT[0], chat_request("q1", "again")], "duplicate_custom_id", 2, "custom_id"),
        ([chat_request("q1", "x", url="/v1/embeddings")], "url_mismatch", 1, "url"),
        ([chat_request("q1", "x", method="GET")], "invalid_method", 1, "method"),
        ([_without("body")], "missing_required_parameter", 1, "body"),
        ([_without("custom_id")], "missing_required_parameter", 1, "custom_id"),
        (
            [GOOD_INPUT[0], chat_request("q2", "x", body={"model": "gpt-4o-2024-08-06"})],
            "model_mismatch",
            2,
            "body.model",
        ),
        ([], "empty_file", None, None),
    ],
)
def test_bad_input_fails_the_batch_with_line_errors(
    conforming_client: openai.OpenAI,
    sandbox: SandboxHandle,
    rows: list[Any],
    code: str,
    line: int | None,
    param: str | None,
) -> None:
    data = b"".join(
        (row.encode() if isinstance(row, str) else json.dumps(row).encode()) + b"\n" for row in rows
    )
    batch = conforming_client.batches.create(
        input_file_id=upload(conforming_client, data or b"\n"),
        endpoint=CHAT,
        completion_window="24h",
    )
    advance(sandbox, 6)
    batch = conforming_client.batches.retrieve(batch.id)
    assert batch.status == "failed" and batch.failed_at is not None
    assert batch.errors is not None and batch.errors.object == "list"
    assert batch.errors.data is not None
    error = batch.errors.data[0]
    assert (error.code, error.line, error.param) == (code, line, param)
    assert error.message
    assert batch.output_file_id is None and batch.in_progress_at is None


# -- request checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "param", "fragment"),
    [
        ({"endpoint": "/v1/assistants"}, "endpoint", "Supported values"),
        ({"endpoint": "/v1/images/generations"}, "endpoint", "does not emulate"),
        ({"completion_window": "48h"}, "completion_window", "'24h'"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "at most 16"),
        (
            {"output_expires_after": {"anchor": "created_at", "seconds": 60}},
            "output_expires_after.seconds",
            ">= 3600",
        ),
        ({"extra_body": {"priority": "high"}}, "priority", "Unknown parameter"),
    ],
)
def test_invalid_requests_are_refused_naming_the_param(
    conforming_client: openai.OpenAI, extra: dict[str, Any], param: str, fragment: str
) -> None:
    body: dict[str, Any] = {
        "input_file_id": upload(conforming_client, jsonl(GOOD_INPUT)),
        "endpoint": CHAT,
        "completion_window": "24h",
        **extra,
    }
    with pytest.raises(openai.BadRequestError) as raised:
        conforming_client.batches.create(**body)
    error = raised.value.body
    assert isinstance(error, dict)
    assert error["param"] == param
    assert fragment in error["message"]


def test_the_input_file_must_have_purpose_batch(conforming_client: openai.OpenAI) -> None:
    tuning_file = upload(conforming_client, jsonl(GOOD_INPUT), purpose="fine-tune")
    with pytest.raises(openai.BadRequestError, match="expected 'batch', got 'fine-tune'"):
        conforming_client.batches.create(
            input_file_id=tuning_file, endpoint=CHAT, completion_window="24h"
        )


def test_the_input_file_must_exist_in_the_project(conforming_client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        conforming_client.batches.create(
            input_file_id="file-nope", endpoint=CHAT, completion_window="24h"
        )
    assert raised.value.param == "input_file_id"  # type: ignore[attr-defined]


# -- cancel and expiry ---------------------------------------------------------------------------


def test_cancel_keeps_the_results_so_far(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    rows = [chat_request(f"r{i}", f"question {i}") for i in range(40)]
    batch = submit(conforming_client, rows)
    advance(sandbox, 5 + 5 + 2.6)  # validation, warm-up, about 10 requests at 0.25 s each
    cancelling = conforming_client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    assert conforming_client.batches.cancel(batch.id).status == "cancelling"
    done = int((cancelling.cancelling_at - batch.created_at - 10) / 0.25)  # due by the cancel
    assert 0 < done < 40
    advance(sandbox, 11)
    batch = conforming_client.batches.retrieve(batch.id)
    assert batch.status == "cancelled" and batch.cancelled_at is not None
    assert batch.request_counts is not None and batch.request_counts.completed == done
    assert batch.output_file_id is not None and batch.error_file_id is not None
    assert len(read_lines(conforming_client, batch.output_file_id)) == done
    unfinished = read_lines(conforming_client, batch.error_file_id)
    assert len(unfinished) == 40 - done
    assert unfinished[0]["response"] is None
    assert unfinished[0]["error"]["code"] == "batch_cancelled"
    with pytest.raises(openai.ConflictError, match="status 'cancelled'"):
        conforming_client.batches.cancel(batch.id)


def test_a_batch_that_cannot_finish_in_24h_expires(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    switch(sandbox, "batch_stalled", True)
    batch = submit(conforming_client)
    switch(sandbox, "batch_stalled", False)
    advance(sandbox, DAY - 60)
    assert conforming_client.batches.retrieve(batch.id).status == "in_progress"
    advance(sandbox, 120)
    batch = conforming_client.batches.retrieve(batch.id)
    assert batch.status == "expired" and batch.expired_at == batch.expires_at
    assert batch.output_file_id is None and batch.error_file_id is not None
    lines = read_lines(conforming_client, batch.error_file_id)
    assert [line["custom_id"] for line in lines] == list(QUESTIONS)
    assert {line["error"]["code"] for line in lines} == {"batch_expired"}


def test_output_files_expire_as_asked(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    batch = submit(
        conforming_client, output_expires_after={"anchor": "created_at", "seconds": 7200}
    )
    advance(sandbox, DONE_AFTER)
    batch = conforming_client.batches.retrieve(batch.id)
    assert batch.output_file_id is not None
    output = conforming_client.files.retrieve(batch.output_file_id)
    assert output.expires_at == output.created_at + 7200


# -- list, retrieve, scoping ---------------------------------------------------------------------


def test_list_pages_newest_first(conforming_client: openai.OpenAI) -> None:
    ids = [submit(conforming_client).id for _ in range(3)]
    page = conforming_client.batches.list(limit=2)
    assert [b.id for b in page.data] == ids[::-1][:2] and page.has_more
    rest = conforming_client.batches.list(limit=2, after=page.data[-1].id)
    assert [b.id for b in rest.data] == [ids[0]] and not rest.has_more
    assert [b.id for b in conforming_client.batches.list(limit=1)] == ids[::-1]


def test_an_unknown_batch_is_404(conforming_client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="batch_nope"):
        conforming_client.batches.retrieve("batch_nope")


def test_batches_are_invisible_from_another_project(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    batch = submit(conforming_client)
    store = sandbox.app.state.sandbox.store
    store.put("project", {"id": "proj_other", "object": "organization.project", "status": "active"})
    other = conforming_client.with_options(api_key=key_of_project(sandbox, "proj_other"))
    with pytest.raises(openai.NotFoundError):
        other.batches.retrieve(batch.id)
    assert list(other.batches.list()) == []


def test_a_batch_carries_on_after_a_restart(tmp_path: Any) -> None:
    state_file = tmp_path / "sandbox.sqlite3"
    with running_sandbox(state_file) as first, sdk(first) as client:
        batch = submit(client)
        advance(first, 6)
        assert client.batches.retrieve(batch.id).status == "in_progress"
    with running_sandbox(state_file) as second, sdk(second) as client:
        advance(second, DONE_AFTER)
        batch = client.batches.retrieve(batch.id)
        assert batch.status == "completed" and batch.output_file_id is not None
        assert len(read_lines(client, batch.output_file_id)) == 3
