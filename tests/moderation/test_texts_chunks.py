"""What is moderated in each dataset format, and how long texts are cut."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.moderation import chunk_text, line_texts

INPUT_PARTS = [{"role": "user", "content": [{"type": "input_text", "text": "x"}]}]
PARTS = [{"type": "text", "text": "part one"}, {"type": "image_url", "image_url": {"url": "u"}}]


@pytest.mark.parametrize(
    ("record", "data_format", "texts"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "chat", ["hi"]),
        ({"messages": [{"role": "user", "content": PARTS}]}, "chat", ["part one"]),
        (
            {"messages": [{"role": "assistant", "content": None, "tool_calls": [{"id": "c"}]}]},
            "chat",
            [],
        ),
        (
            {"custom_id": "a", "body": {"input": "q", "instructions": "be brief", "model": "m"}},
            "batch",
            ["be brief", "q"],
        ),
        (
            {"custom_id": "a", "body": {"messages": [{"role": "user", "content": "q"}]}},
            None,  # guessed: batch
            ["q"],
        ),
        (
            {
                "custom_id": "a",
                "body": {
                    "input": [{"role": "user", "content": [{"type": "input_text", "text": "x"}]}]
                },
            },
            "batch",
            ["x"],
        ),
        ({"custom_id": "a", "body": {"input": ["e1", "e2"]}}, "batch", ["e1", "e2"]),
        (
            {
                "input": {"messages": [{"role": "user", "content": "p"}]},
                "preferred_output": [{"role": "assistant", "content": "good"}],
                "non_preferred_output": [{"role": "assistant", "content": "bad"}],
            },
            "preference",
            ["p", "good", "bad"],
        ),
        ({"item": {"question": "q", "id": "x1", "answer": ["a"]}}, "eval", ["q", "a"]),
        ("not an object", None, []),
    ],
)
def test_texts_by_format(record: Any, data_format: str | None, texts: list[str]) -> None:
    assert line_texts(record, data_format) == texts


def test_a_short_text_is_one_chunk() -> None:
    assert chunk_text("short text") == ["short text"]


def test_chunks_stay_within_the_size_and_cover_the_text() -> None:
    text = " ".join(f"word{i}" for i in range(2_000))

    chunks = chunk_text(text, size=500, overlap=50)

    assert all(len(chunk) <= 500 for chunk in chunks)
    assert chunks[0].startswith("word0 ") and chunks[-1].endswith("word1999")
    assert {w for c in chunks for w in c.split()} == set(text.split())


def test_a_phrase_across_a_cut_is_whole_in_some_chunk() -> None:
    for offset in range(0, 40, 3):
        text = "x " * (240 + offset) + "i will kill you" + " y" * 300

        chunks = chunk_text(text, size=500, overlap=60)

        assert any("i will kill you" in chunk for chunk in chunks), offset


def test_a_text_without_spaces_is_cut_hard() -> None:
    chunks = chunk_text("a" * 1_050, size=500, overlap=50)

    assert all(len(c) <= 500 for c in chunks) and len(chunks) >= 3
