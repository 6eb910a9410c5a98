"""check_dataset end to end: valid files of every format, file-level rules, cookbook figures."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from reconciler.datasets import check_dataset, file_rules, pipeline

from .lines import PURPOSE, VALID_LINES, Line, Writer, batch_line, chat_line, valid_lines

COOKBOOK_SYSTEM = "You are a happy assistant that puts a positive spin on everything."


def _m(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def cookbook_toy_dataset() -> list[Line]:
    """openai-cookbook examples/data/toy_chat_fine_tuning.jsonl, rebuilt line for line."""
    s = COOKBOOK_SYSTEM
    return [
        {
            "messages": [
                _m("system", s),
                _m("user", "I fell off my bike today."),
                _m("assistant", "It's great that you're getting exercise outdoors!"),
            ]
        },
        {
            "messages": [
                _m("system", s),
                _m("user", "I lost my tennis match today."),
                _m("assistant", "It's ok, it happens to everyone."),
                _m("user", "But I trained so hard!"),
                _m("assistant", "It will pay off next time."),
                _m("user", "I'm going to switch to golf."),
                _m("assistant", "Golf is fun too!"),
                _m("user", "I don't even know how to play golf."),
                _m("assistant", "It's easy to learn!"),
            ]
        },
        {
            "messages": [
                _m("user", "I lost my book today."),
                _m("assistant", "You can read everything on ebooks these days!"),
            ]
        },
        {"messages": [_m("system", s), _m("assistant", "You're great!")]},
        {
            "messages": [
                _m("system", s),
                _m("user", "I'm hungry."),
                _m("assistant", "Eat a banana!" * 2000),
            ]
        },
    ]


def test_cookbook_reference_figures(write_jsonl: Writer) -> None:
    """The cookbook prints: tokens/example min 26, max 8032, mean 1648.4; assistant tokens mean
    1610.2; ~4306 billed tokens with the 4096-token cap of gpt-3.5-turbo-0613; 20 epochs by
    default; ~86120 tokens charged."""
    path = write_jsonl(cookbook_toy_dataset())
    assert path.stat().st_size == 27385  # byte-identical to the cookbook's file
    report = check_dataset(path, purpose="fine-tune", model="gpt-3.5-turbo-0613")
    stats = report.stats
    assert (stats.min_tokens, stats.max_tokens, stats.mean_tokens) == (26, 8032, 1648.4)
    assert stats.assistant_tokens == 8051  # 5 x 1610.2
    assert stats.encoding == "cl100k_base"
    assert (stats.epochs, stats.epochs_source) == (20, "auto")
    assert stats.billed_tokens == 86120 == 20 * 4306
    assert report.problem_counts["example_too_long"] == 1
    assert report.problem_counts["missing_system_message"] == 1
    assert report.problem_counts["missing_user_message"] == 1


def test_cookbook_figures_with_the_current_16385_cap(write_jsonl: Writer) -> None:
    """The current notebook caps at 16,385 (gpt-3.5-turbo): nothing is truncated, 20 x 8242."""
    report = check_dataset(
        write_jsonl(cookbook_toy_dataset()), purpose="fine-tune", model="gpt-3.5-turbo"
    )
    assert report.stats.billed_tokens == 20 * 8242
    assert "example_too_long" not in report.problem_counts


@pytest.mark.parametrize("fmt", sorted(VALID_LINES))
def test_valid_files_of_every_format_raise_nothing(write_jsonl: Writer, fmt: str) -> None:
    report = check_dataset(write_jsonl(valid_lines(fmt, 60)), purpose=PURPOSE[fmt])
    assert report.problem_counts == {}
    assert report.format == fmt and report.format_detected
    assert report.stats.examples == 60
    assert report.stats.total_tokens and report.stats.total_tokens > 60


def test_rich_valid_chat_examples_raise_nothing(write_jsonl: Writer) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_order", "arguments": '{"id": 7}'},
    }
    tools = [{"type": "function", "function": {"name": "get_order", "parameters": {}}}]
    image = {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"},
    }
    rich: list[Line] = [
        {
            "messages": [
                _m("system", "Use tools."),
                _m("user", "Where is order 7?"),
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "call_1", "content": "shipped"},
                _m("assistant", "It shipped."),
            ],
            "tools": tools,
            "parallel_tool_calls": False,
        },
        {
            "messages": [
                _m("developer", "Describe."),
                {"role": "user", "content": [{"type": "text", "text": "What is this?"}, image]},
                {"role": "assistant", "content": "A cat.", "weight": 1},
            ]
        },
        {
            "messages": [
                _m("system", "x"),
                _m("user", "hi"),
                {"role": "assistant", "content": "bad answer", "weight": 0},
                _m("user", "again"),
                _m("assistant", "good answer"),
            ]
        },
    ]
    report = check_dataset(
        write_jsonl(valid_lines("chat", 57) + rich), purpose="fine-tune", model="gpt-4o-mini"
    )
    assert report.problem_counts == {}
    assert (report.stats.images, report.stats.image_examples) == (1, 1)


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        (
            "/v1/responses",
            {
                "model": "gpt-5.6-luna",
                "input": "Classify: late parcel",
                "instructions": "One word.",
            },
        ),
        ("/v1/embeddings", {"model": "text-embedding-3-small", "input": ["a", "b"]}),
        ("/v1/moderations", {"model": "omni-moderation-latest", "input": "hello"}),
    ],
)
def test_valid_batch_files_for_other_endpoints(
    write_jsonl: Writer, endpoint: str, body: dict[str, Any]
) -> None:
    lines: list[Line] = [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": endpoint,
            "body": {**body, "metadata_i": i}
            if endpoint == "/v1/responses"
            else {**body, "user": f"u{i}"},
        }
        for i in range(20)
    ]
    report = check_dataset(write_jsonl(lines), purpose="batch", batch_endpoint=endpoint)
    assert report.problem_counts == {}
    assert report.stats.requests == 20
    assert report.stats.batch_endpoint == endpoint


def test_batch_stats_and_cost_at_the_batch_discount(write_jsonl: Writer) -> None:
    report = check_dataset(write_jsonl(valid_lines("batch", 40)), purpose="batch")
    stats = report.stats
    assert stats.model == "gpt-4.1-mini" and stats.requests == 40
    assert stats.est_input_tokens == stats.total_tokens and stats.est_input_tokens
    # gpt-4.1-mini input is $0.40 / 1M, half price in a batch
    assert stats.estimated_cost_usd == pytest.approx(stats.est_input_tokens * 0.20 / 1e6)
    assert "batch input price" in report.summary_lines()[1]


def test_file_level_counts(write_jsonl: Writer, tmp_path: Path) -> None:
    few = check_dataset(write_jsonl(valid_lines("chat", 5), "five.jsonl"), purpose="fine-tune")
    assert [(p.code, p.line, p.severity) for p in few.problems] == [
        ("too_few_examples", 0, "error")
    ]
    some = check_dataset(write_jsonl(valid_lines("chat", 20), "twenty.jsonl"), purpose="fine-tune")
    assert some.problem_counts == {"few_examples": 1} and not some.has_errors
    (tmp_path / "empty.jsonl").write_text("")
    empty = check_dataset(tmp_path / "empty.jsonl", purpose="fine-tune")
    assert set(empty.problem_counts) == {"empty_file"}


def test_batch_file_uploaded_for_fine_tuning_is_a_mismatch(write_jsonl: Writer) -> None:
    report = check_dataset(write_jsonl(valid_lines("batch", 20)), purpose="fine-tune")
    assert report.format == "batch"
    assert report.problem_counts["purpose_format_mismatch"] == 1
    assert report.has_errors


def test_examples_over_the_training_limit_are_truncated_in_billing(write_jsonl: Writer) -> None:
    long = chat_line(99)
    long["messages"][2]["content"] = "word " * 5000
    report = check_dataset(
        write_jsonl([*valid_lines("chat", 59), long]),
        purpose="fine-tune",
        model="gpt-3.5-turbo-0613",
        n_epochs=2,
    )
    assert [p.line for p in report.problems if p.code == "example_too_long"] == [60]
    per_epoch = report.stats.total_tokens - report.stats.max_tokens + 4096
    assert report.stats.billed_tokens == 2 * per_epoch
    assert report.stats.epochs_source == "declared"


def test_batch_request_over_the_context_window(write_jsonl: Writer) -> None:
    lines: list[Line] = [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/v1/embeddings",
            "body": {"model": "text-embedding-3-small", "input": "word " * (9000 if i == 4 else 3)},
        }
        for i in range(10)
    ]
    report = check_dataset(write_jsonl(lines), purpose="batch")
    assert [p.line for p in report.problems if p.code == "request_too_long"] == [5]


@pytest.mark.parametrize(
    ("constant", "fmt", "lines", "code"),
    [
        ("MAX_REQUESTS", "batch", valid_lines("batch", 12), "batch_too_many_requests"),
        ("MAX_FILE_BYTES", "batch", valid_lines("batch", 12), "file_too_large"),
        ("MANY_EXAMPLES", "chat", valid_lines("chat", 12), "many_examples"),
        ("MANY_EXAMPLES", "reinforcement", valid_lines("reinforcement", 12), "too_many_examples"),
        (
            "MAX_EMBEDDING_INPUTS",
            "batch",
            [
                {
                    "custom_id": f"r{i}",
                    "method": "POST",
                    "url": "/v1/embeddings",
                    "body": {"model": "text-embedding-3-small", "input": ["a", "b"]},
                }
                for i in range(12)
            ],
            "batch_too_many_embedding_inputs",
        ),
    ],
)
def test_file_limits(
    write_jsonl: Writer,
    monkeypatch: pytest.MonkeyPatch,
    constant: str,
    fmt: str,
    lines: list[Line],
    code: str,
) -> None:
    monkeypatch.setattr(file_rules, constant, 10)
    report = check_dataset(write_jsonl(lines), purpose=PURPOSE[fmt], format=fmt)
    assert [(p.line, p.severity) for p in report.problems if p.code == code] == [
        (0, "error")
    ] or code == "many_examples"
    assert code in report.problem_counts


def test_too_many_image_examples(write_jsonl: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_rules, "MANY_EXAMPLES", 10)
    lines = valid_lines("chat", 12)
    for line in lines:
        assert isinstance(line, dict)
        line["messages"][1]["content"] = [
            {"type": "text", "text": "see"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}},
        ]
    report = check_dataset(write_jsonl(lines), purpose="fine-tune")
    assert report.problem_counts["too_many_image_examples"] == 1


def test_unsupported_batch_endpoint_setting(write_jsonl: Writer) -> None:
    report = check_dataset(
        write_jsonl(valid_lines("batch", 5)), purpose="batch", batch_endpoint="/v1/chat"
    )
    assert any(p.code == "batch_unsupported_endpoint" and p.line == 0 for p in report.problems)


def test_only_the_first_five_of_a_code_are_kept_but_all_are_counted(write_jsonl: Writer) -> None:
    lines = valid_lines("chat", 70)
    for index in range(10, 22):
        lines[index] = '{"messages": ['
    report = check_dataset(write_jsonl(lines), purpose="fine-tune")
    assert report.problem_counts == {"invalid_json": 12}
    assert [p.line for p in report.problems] == [11, 12, 13, 14, 15]


def test_typo_on_line_734_of_1000(write_jsonl: Writer) -> None:
    lines = valid_lines("chat", 1000)
    typo = chat_line(733)
    typo["messages"][1] = {"role": "user", "contnet": "How do I reset my password?"}
    lines[733] = typo
    report = check_dataset(write_jsonl(lines), purpose="fine-tune", model="gpt-4.1-mini")
    assert set(report.problem_counts) == {"message_unrecognized_key", "message_missing_key"}
    problem = next(p for p in report.problems if p.code == "message_unrecognized_key")
    assert problem.line == 734
    assert problem.hint == "did you mean 'content'?"
    diagnostic = problem.to_diagnostic("data/train.jsonl")
    assert str(diagnostic.location) == f"data/train.jsonl:734:{problem.column}"
    assert diagnostic.code == "message_unrecognized_key"


def test_pool_and_inline_scans_agree(write_jsonl: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many small chunks over 2 processes give the same report as one in-process pass."""
    lines = valid_lines("batch", 3000)
    lines[5] = lines[4]  # duplicate example and custom_id across positions
    lines[1700] = batch_line(17)  # same as line 18, far away (another chunk)
    lines[2100] = "{oops"
    lines[2999] = ""
    path = write_jsonl(lines)
    inline = check_dataset(path, purpose="batch", workers=1)
    monkeypatch.setattr(pipeline, "READ_BLOCK", 97)  # lines span many small blocks
    assert check_dataset(path, purpose="batch", workers=1).to_dict() == inline.to_dict()
    monkeypatch.setattr(pipeline, "INLINE_MAX_BYTES", 0)
    monkeypatch.setattr(pipeline, "CHUNK_BYTES", 16 * 1024)
    pooled = check_dataset(path, purpose="batch", workers=2)
    assert pooled.to_dict() == inline.to_dict()
    assert inline.problem_counts == {
        "duplicate_custom_id": 2,
        "duplicate_example": 2,
        "invalid_json": 1,
        "blank_line": 1,
    }
    assert [p.line for p in inline.problems if p.code == "duplicate_custom_id"] == [6, 1701]
    assert pooled.fingerprints is not None and inline.fingerprints is not None
    assert pooled.fingerprints.values == inline.fingerprints.values


def test_raw_purposes_are_hashed_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_bytes(b"%PDF-1.7 not json")
    report = check_dataset(path, purpose="user_data")
    assert report.format == "raw" and report.problem_counts == {}
    assert len(report.sha256) == 64


def test_unknown_format_name_is_a_programming_error(write_jsonl: Writer) -> None:
    with pytest.raises(ValueError, match="unknown dataset format"):
        check_dataset(write_jsonl(valid_lines("chat", 3)), purpose="fine-tune", format="sft")


def test_report_round_trips_through_json(write_jsonl: Writer) -> None:
    lines = valid_lines("chat", 30)
    lines[3] = '{"messages": 1}'
    report = check_dataset(write_jsonl(lines), purpose="fine-tune", model="gpt-4.1-mini")
    data = json.loads(json.dumps(report.to_dict()))
    again = type(report).from_dict(data)
    assert again == report
    assert again.summary_lines() == report.summary_lines()


def test_pool_in_a_threaded_process_uses_a_safe_start_method(
    write_jsonl: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With other threads alive, fork is unsafe: the pool falls back to forkserver/spawn."""
    lines = valid_lines("chat", 400)
    lines[250] = '{"messages": 3}'
    path = write_jsonl(lines)
    monkeypatch.setattr(pipeline, "INLINE_MAX_BYTES", 0)
    monkeypatch.setattr(pipeline, "CHUNK_BYTES", 8 * 1024)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert pipeline.pool_context().get_start_method() != "fork"
        report = check_dataset(path, purpose="fine-tune", model="gpt-4o-mini", workers=2)
    finally:
        release.set()
        other.join()
    assert [p.line for p in report.problems] == [251]
    assert report.stats.examples == 400 and report.stats.total_tokens


def test_summary_lines_for_the_plan(write_jsonl: Writer) -> None:
    chat_path = write_jsonl(valid_lines("chat", 60), "chat.jsonl")
    chat = check_dataset(chat_path, purpose="fine-tune", model="gpt-4.1-mini").summary_lines()
    assert chat[0].startswith("chat (detected), 60 examples, 2,")
    assert "(min 40 / mean 40 / max 40)" in chat[0]
    assert chat[1].startswith("3 epochs (auto), 7,")
    assert chat[1].endswith("at gpt-4.1-mini training price (2026-11)")
    unknown = check_dataset(chat_path, purpose="fine-tune").summary_lines()
    assert unknown[1].endswith("no base model given: no estimate")
    rft = check_dataset(
        write_jsonl(valid_lines("reinforcement", 60), "rft.jsonl"),
        purpose="fine-tune",
        model="o4-mini",
        n_epochs=2,
    )
    assert rft.stats.billed_tokens is None
    assert rft.summary_lines()[1] == (
        "2 epochs (declared); reinforcement fine-tuning is billed per training hour: no estimate"
    )
    batch = check_dataset(write_jsonl(valid_lines("batch", 60), "batch.jsonl"), purpose="batch")
    assert batch.summary_lines()[0].startswith(
        "batch (detected) for /v1/chat/completions, 60 requests, model gpt-4.1-mini, ~"
    )
    assert batch.summary_lines()[1].startswith("est. $0.0")
