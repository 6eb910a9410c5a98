"""`batches.split`: parts cut before either limit, streamed, and the limits from the environment
(lower only: the API refuses more)."""

from __future__ import annotations

import json

import pytest

from reconciler.batches.requests import RequestLine
from reconciler.batches.split import (
    MAX_REQUESTS,
    Limits,
    expected_parts,
    limits,
    parse_part,
    write_parts,
)


def _requests(n: int, size: int = 10) -> list[RequestLine]:
    return [RequestLine(i, f"r{i}", {"custom_id": f"r{i}", "body": "x" * size}) for i in range(n)]


def test_parts_cut_by_count_and_by_bytes() -> None:
    with write_parts(_requests(5), Limits(2, 10_000)) as parts:
        assert [p.requests for p in parts] == [2, 2, 1]
        first = [json.loads(line)["custom_id"] for line in parts[0].handle.read().splitlines()]
        assert first == ["r0", "r1"]
    line = len(json.dumps(_requests(1, 100)[0].request).encode()) + 1
    with write_parts(_requests(5, 100), Limits(100, 2 * line + 5)) as parts:
        assert [p.requests for p in parts] == [2, 2, 1]
        assert all(p.size <= 2 * line + 5 for p in parts)


def test_expected_parts_and_tags() -> None:
    assert expected_parts(100_001, 10, Limits()) == 3
    assert expected_parts(10, 450 * 1024 * 1024, Limits()) == 3
    assert expected_parts(0, 0, Limits()) == 1
    assert parse_part("2/3") == (2, 3) and parse_part(None) == (1, 1)
    assert parse_part("4/3") == (1, 1)


def test_limits_lowered_by_environment_never_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_BATCH_MAX_REQUESTS", "7")
    assert limits().max_requests == 7
    monkeypatch.setenv("RECONCILER_BATCH_MAX_REQUESTS", "900000")
    assert limits().max_requests == MAX_REQUESTS


def test_cached_tokens_of_a_batch_format_input() -> None:
    from reconciler.batches.estimate import file_cached_tokens, shared_prefix

    def request(i: int, instructions: str, key: str | None = None) -> RequestLine:
        body = {"model": "m", "instructions": instructions, "input": f"item {i}"}
        if key:
            body["prompt_cache_key"] = key
        return RequestLine(i, f"r{i}", {"custom_id": f"r{i}", "body": body})

    def words(text: str) -> int:
        return len(text.split())

    long, short = "w " * 1300, "w " * 100
    built = [request(i, long) for i in range(3)] + [request(9, short), request(10, long, "k")]
    assert file_cached_tokens(built, words) == 2 * 1280  # 1,300 -> 1,280 (128-token steps)
    chat = {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]}
    assert shared_prefix(chat) == "S" and shared_prefix({"input": "U"}) is None
