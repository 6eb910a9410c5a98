"""The texts of a dataset to moderate, line by line, streamed from the JSONL file.

`run.py` calls `file_line_texts`. What is taken, by format (a line's format is the Dataset's
`format`, else guessed from the line):

- chat, reinforcement: every message's `content`, a string or the `text` of its text parts;
- preference: the same in `input.messages`, `preferred_output` and `non_preferred_output`;
- batch: the request `body`'s `instructions`, `input` (a string, strings, or messages and their
  text parts), `messages` and `prompt`;
- eval and anything else: every string value at any depth, except under keys that hold no
  prose (`role`, `type`, ids, urls, `model`...).

Tool-call arguments, images and audio are not moderated. Blank and unparsable lines are skipped
(`reconciler validate` reports those).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

NOT_PROSE = frozenset(
    {
        "role", "type", "name", "id", "custom_id", "method", "url", "model", "tool_call_id",
        "image_url", "file_id", "detail", "format", "weight", "endpoint",
    }
)  # fmt: skip
BATCH_FIELDS = ("instructions", "input", "messages", "prompt")


def file_line_texts(path: Path, data_format: str | None) -> Iterator[tuple[int, list[str]]]:
    """(line number from 1, its texts) for every parsable line of `path`, streamed."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            texts = [t for t in line_texts(record, data_format) if t.strip()]
            yield number, texts


def line_texts(record: Any, data_format: str | None = None) -> list[str]:
    """The texts of one parsed JSONL line (see the module docstring for the rule)."""
    if not isinstance(record, dict):
        return []
    kind = data_format or _guess(record)
    if kind == "batch":
        body = record.get("body")
        if not isinstance(body, dict):
            return []
        return [t for key in BATCH_FIELDS for t in _message_texts(body.get(key))]
    if kind in ("chat", "reinforcement"):
        return _message_texts(record.get("messages"))
    if kind == "preference":
        prompt = record.get("input")
        messages = prompt.get("messages") if isinstance(prompt, dict) else None
        return [
            *_message_texts(messages),
            *_message_texts(record.get("preferred_output")),
            *_message_texts(record.get("non_preferred_output")),
        ]
    return list(_all_strings(record))


def _guess(record: dict[str, Any]) -> str | None:
    if "custom_id" in record and "body" in record:
        return "batch"
    if "preferred_output" in record:
        return "preference"
    if "messages" in record:
        return "chat"
    return None


def _message_texts(value: Any) -> list[str]:
    """A string, a list of strings, messages (`content`) or content parts (`text`)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        if "content" in value:
            return _message_texts(value["content"])
        text = value.get("text")
        return [text] if isinstance(text, str) else []
    if isinstance(value, list):
        return [t for item in value for t in _message_texts(item)]
    return []


def _all_strings(value: Any, key: str = "") -> Iterator[str]:
    if key in NOT_PROSE:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for child_key, child in value.items():
            yield from _all_strings(child, str(child_key))
    elif isinstance(value, list):
        for child in value:
            yield from _all_strings(child, key)
