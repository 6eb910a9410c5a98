"""One broken line per rule: the check reports the rule's code on that line (line 3 of 60)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.datasets import CODES, check_dataset

from .lines import PURPOSE, Line, Writer, batch_line, chat_line, preference_line, valid_lines

S = {"role": "system", "content": "Be brief."}
U = {"role": "user", "content": "Hello there"}
A = {"role": "assistant", "content": "Hi!"}
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]


def chat(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"messages": list(messages), **extra}


def user_parts(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(parts)}


def with_changes(line: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**line, **changes}


def batch(**changes: Any) -> dict[str, Any]:
    return with_changes(batch_line(1000), **changes)


def body(**changes: Any) -> dict[str, Any]:
    return {**batch_line(1000)["body"], **changes}


def pref(**changes: Any) -> dict[str, Any]:
    return with_changes(preference_line(1000), **changes)


CASES: list[tuple[str, str, Line, str]] = [
    # any format
    ("truncated-json", "chat", '{"messages": [', "invalid_json"),
    ("json-array-line", "chat", "[1, 2]", "data_type"),
    ("empty-line", "chat", "", "blank_line"),
    ("unknown-top-key", "chat", chat(S, U, A, metadata={}), "example_unrecognized_key"),
    ("repeated-line", "chat", chat_line(0), "duplicate_example"),
    # chat messages
    ("typo-messages", "chat", {"mesages": [U, A]}, "missing_messages_list"),
    ("empty-messages", "chat", {"messages": []}, "missing_messages_list"),
    ("messages-string", "chat", {"messages": "hi"}, "missing_messages_list"),
    ("message-not-object", "chat", chat(S, "hi", A), "data_type"),
    ("message-without-role", "chat", chat(S, {"content": "x"}, A), "message_missing_key"),
    (
        "typo-content",
        "chat",
        chat(S, {"role": "user", "contnet": "x"}, A),
        "message_unrecognized_key",
    ),
    (
        "typo-content-missing",
        "chat",
        chat(S, {"role": "user", "contnet": "x"}, A),
        "message_missing_key",
    ),
    ("unknown-role", "chat", chat(S, {"role": "bot", "content": "x"}, A), "unrecognized_role"),
    (
        "role-not-string",
        "chat",
        chat(S, {"role": ["user"], "content": "x"}, A),
        "unrecognized_role",
    ),
    ("empty-content", "chat", chat(S, {"role": "user", "content": ""}, A), "missing_content"),
    ("null-content", "chat", chat(S, {"role": "user", "content": None}, A), "missing_content"),
    ("number-content", "chat", chat(S, {"role": "user", "content": 5}, A), "missing_content"),
    ("no-assistant", "chat", chat(S, U), "example_missing_assistant_message"),
    ("no-system", "chat", chat(U, A), "missing_system_message"),
    ("no-user", "chat", chat(S, A), "missing_user_message"),
    (
        "unknown-part",
        "chat",
        chat(S, user_parts({"type": "video", "url": "x"}), A),
        "invalid_content_part",
    ),
    ("text-part-no-text", "chat", chat(S, user_parts({"type": "text"}), A), "invalid_content_part"),
    (
        "audio-part",
        "chat",
        chat(S, user_parts({"type": "input_audio", "input_audio": {}}), A),
        "invalid_content_part",
    ),
    (
        "image-in-system",
        "chat",
        chat({"role": "system", "content": [IMAGE]}, U, A),
        "invalid_content_part",
    ),
    ("eleven-images", "chat", chat(S, user_parts(*[IMAGE] * 11), A), "too_many_images"),
    (
        "image-in-assistant",
        "chat",
        chat(S, U, {"role": "assistant", "content": [IMAGE]}),
        "image_in_assistant_message",
    ),
    (
        "ftp-image",
        "chat",
        chat(S, user_parts({"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}), A),
        "invalid_image_url",
    ),
    (
        "gif-data-url",
        "chat",
        chat(
            S,
            user_parts({"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0lGOD"}}),
            A,
        ),
        "unsupported_image_format",
    ),
    (
        "gif-link",
        "chat",
        chat(
            S, user_parts({"type": "image_url", "image_url": {"url": "https://x.io/a.gif?s=1"}}), A
        ),
        "suspicious_image_url",
    ),
    ("weight-two", "chat", chat(S, U, {**A, "weight": 2}), "invalid_weight"),
    ("weight-on-user", "chat", chat(S, {**U, "weight": 1}, A), "invalid_weight"),
    (
        "tool-without-id",
        "chat",
        chat(
            S,
            U,
            {"role": "assistant", "tool_calls": [CALL]},
            {"role": "tool", "content": "ok"},
            A,
            tools=TOOLS,
        ),
        "tool_call_id_missing",
    ),
    (
        "tool-unknown-id",
        "chat",
        chat(
            S,
            U,
            {"role": "assistant", "tool_calls": [CALL]},
            {"role": "tool", "content": "ok", "tool_call_id": "call_9"},
            A,
            tools=TOOLS,
        ),
        "tool_call_id_unknown",
    ),
    (
        "tool-call-without-id",
        "chat",
        chat(S, U, {"role": "assistant", "tool_calls": [{**CALL, "id": None}]}, tools=TOOLS),
        "invalid_tool_call",
    ),
    (
        "tool-args-not-json",
        "chat",
        chat(
            S,
            U,
            {
                "role": "assistant",
                "tool_calls": [{**CALL, "function": {"name": "lookup", "arguments": "{oops"}}],
            },
            tools=TOOLS,
        ),
        "tool_call_arguments_not_json",
    ),
    ("tools-not-list", "chat", chat(S, U, A, tools={"lookup": {}}), "invalid_tools"),
    (
        "undeclared-tool",
        "chat",
        chat(
            S,
            U,
            {
                "role": "assistant",
                "tool_calls": [{**CALL, "function": {"name": "lookpu", "arguments": "{}"}}],
            },
            tools=TOOLS,
        ),
        "tool_call_undeclared",
    ),
    # preference
    ("no-input", "preference", pref(input=None), "missing_input"),
    ("input-without-messages", "preference", pref(input={"messages": []}), "missing_messages_list"),
    (
        "no-preferred",
        "preference",
        {k: v for k, v in preference_line(1000).items() if k != "preferred_output"},
        "missing_preference_output",
    ),
    ("two-preferred", "preference", pref(preferred_output=[A, A]), "invalid_preference_output"),
    ("preferred-from-user", "preference", pref(preferred_output=[U]), "invalid_preference_output"),
    (
        "identical-outputs",
        "preference",
        pref(preferred_output=[A], non_preferred_output=[A]),
        "identical_preference_outputs",
    ),
    (
        "input-ends-with-assistant",
        "preference",
        pref(input={"messages": [U, A]}),
        "input_last_message_not_user",
    ),
    (
        "weight-in-preference",
        "preference",
        pref(preferred_output=[{**A, "weight": 1}]),
        "message_unrecognized_key",
    ),
    # reinforcement
    (
        "rft-ends-with-assistant",
        "reinforcement",
        {"messages": [{"role": "user", "content": "2+2?"}, A], "reference_answer": "4"},
        "last_message_not_user",
    ),
    (
        "rft-system-role",
        "reinforcement",
        {"messages": [S, {"role": "user", "content": "2+2?"}], "reference_answer": "4"},
        "unrecognized_role",
    ),
    (
        "rft-no-reference",
        "reinforcement",
        {"messages": [{"role": "user", "content": "2+2?"}]},
        "missing_reference_fields",
    ),
    # batch
    (
        "no-custom-id",
        "batch",
        {k: v for k, v in batch().items() if k != "custom_id"},
        "batch_missing_key",
    ),
    ("extra-request-key", "batch", batch(priority="high"), "batch_unrecognized_key"),
    ("numeric-custom-id", "batch", batch(custom_id=5), "invalid_custom_id"),
    ("repeated-custom-id", "batch", batch(custom_id="request-0"), "duplicate_custom_id"),
    ("get-method", "batch", batch(method="GET"), "batch_invalid_method"),
    ("other-endpoint", "batch", batch(url="/v1/embeddings"), "batch_url_mismatch"),
    ("unknown-endpoint", "batch", batch(url="/v1/chat/complete"), "batch_unsupported_endpoint"),
    ("body-string", "batch", batch(body="hello"), "batch_body_invalid"),
    ("no-model", "batch", batch(body={"messages": [U]}), "batch_missing_model"),
    ("other-model", "batch", batch(body=body(model="gpt-4o")), "batch_multiple_models"),
    (
        "chat-without-messages",
        "batch",
        batch(body={"model": "gpt-4.1-mini", "input": "hi"}),
        "batch_body_missing_key",
    ),
    (
        "bad-role-in-body",
        "batch",
        batch(body=body(messages=[{"role": "robot", "content": "x"}])),
        "unrecognized_role",
    ),
    # eval items
    ("no-item", "eval", {"question": "x"}, "eval_missing_item"),
    (
        "sample-string",
        "eval",
        {"item": {"question": "x", "answer": "y"}, "sample": "z"},
        "eval_invalid_sample",
    ),
    (
        "eval-extra-key",
        "eval",
        {"item": {"question": "x", "answer": "y"}, "id": 3},
        "example_unrecognized_key",
    ),
]


def check_with_broken_line(write_jsonl: Writer, fmt: str, broken: Line, **options: Any) -> Any:
    lines = valid_lines(fmt, 60)
    lines[2] = broken
    path = write_jsonl(lines)
    return check_dataset(path, purpose=PURPOSE[fmt], format=fmt, **options)


@pytest.mark.parametrize(
    ("fmt", "broken", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_line_is_reported_with_its_code_and_line(
    write_jsonl: Writer, fmt: str, broken: Line, code: str
) -> None:
    report = check_with_broken_line(write_jsonl, fmt, broken)
    assert code in report.problem_counts, report.problem_counts
    lines = [p.line for p in report.problems if p.code == code]
    assert lines == [3], report.problems
    problem = next(p for p in report.problems if p.code == code)
    assert problem.severity == CODES[code][0]
    assert problem.hint


def test_every_code_in_the_table_has_a_case_or_a_file_level_test() -> None:
    file_level = {
        "empty_file",
        "purpose_format_mismatch",
        "file_not_found",
        "file_too_large",
        "too_few_examples",
        "few_examples",
        "many_examples",
        "too_many_examples",
        "too_many_image_examples",
        "example_too_long",
        "request_too_long",
        "shared_example",
        "batch_too_many_requests",
        "batch_too_many_embedding_inputs",
        "image_too_large",
        "item_schema_violation",
        "invalid_item_schema",
    }
    covered = {case[3] for case in CASES} | file_level
    assert set(CODES) == covered


def test_typo_hint_names_the_key_it_meant(write_jsonl: Writer) -> None:
    report = check_with_broken_line(
        write_jsonl, "chat", chat(S, {"role": "user", "contnet": "x"}, A)
    )
    unrecognized = next(p for p in report.problems if p.code == "message_unrecognized_key")
    assert unrecognized.hint == "did you mean 'content'?"
    assert unrecognized.column > 1
    missing = next(p for p in report.problems if p.code == "message_missing_key")
    assert missing.hint == "rename 'contnet' to 'content'"


def test_invalid_json_reports_the_column(write_jsonl: Writer) -> None:
    report = check_with_broken_line(write_jsonl, "chat", '{"messages": [}')
    problem = next(p for p in report.problems if p.code == "invalid_json")
    assert (problem.line, problem.column) == (3, 15)


def test_item_schema_violations_name_the_field(write_jsonl: Writer) -> None:
    schema = {
        "type": "object",
        "required": ["question", "answer"],
        "properties": {"answer": {"type": "string"}},
    }
    report = check_with_broken_line(
        write_jsonl, "eval", {"item": {"question": "x", "answer": 3}}, item_schema=schema
    )
    problem = next(p for p in report.problems if p.code == "item_schema_violation")
    assert problem.line == 3
    assert "item.answer" in problem.message


def test_oversized_data_url_image(write_jsonl: Writer) -> None:
    big = "data:image/png;base64," + "A" * (14 * 1024 * 1024)
    image = {"type": "image_url", "image_url": {"url": big}}
    report = check_with_broken_line(
        write_jsonl, "chat", chat(S, user_parts(image), A), count_tokens=False
    )
    assert [p.line for p in report.problems if p.code == "image_too_large"] == [3]


def test_unreadable_path_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    report = check_dataset(tmp_path / "missing.jsonl", purpose="fine-tune")
    assert report.has_errors
    assert report.problems[0].code == "file_not_found"


def test_an_invalid_item_schema_is_reported_once(write_jsonl: Writer) -> None:
    report = check_dataset(
        write_jsonl(valid_lines("eval", 12)), purpose="evals", item_schema={"type": "objekt"}
    )
    assert report.problem_counts == {"invalid_item_schema": 1}
    assert report.problems[0].line == 0
