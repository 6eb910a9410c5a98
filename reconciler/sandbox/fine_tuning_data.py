"""Validation of fine-tuning data files, as the job's `validating_files` phase does it.

`fine_tuning.create_job` reads the training (and validation) file and calls `check_data`; the
answer is a `DataReport` (example count, token count, the examples themselves) or a `DataError`
shaped like the job's `error` object, which the lifecycle reports when validation ends.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

Obj = dict[str, Any]

MIN_TRAINING_EXAMPLES = 10
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class DataError:
    """The job's `error` when a file fails validation: {code, message, param}."""

    code: str
    message: str
    param: str

    def as_obj(self) -> Obj:
        return {"code": self.code, "message": self.message, "param": self.param}


@dataclass(frozen=True)
class DataReport:
    examples: list[Obj] = field(default_factory=list)
    tokens: int = 0

    @property
    def count(self) -> int:
        return len(self.examples)


class _LineError(Exception):
    pass


def check_data(data: bytes, method: str, *, param: str) -> DataReport | DataError:
    """Parse and check a JSONL data file for `method`; `param` is training_file/validation_file."""
    kind = "training" if param == "training_file" else "validation"
    examples: list[Obj] = []
    tokens = 0
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            example = _parse_line(line)
            _check_example(example, method)
        except _LineError as exc:
            return _error(kind, param, f"Invalid file format. Line {number}: {exc}")
        examples.append(example)
        tokens += count_example_tokens(example)
    minimum = MIN_TRAINING_EXAMPLES if kind == "training" else 1
    if len(examples) < minimum:
        return _error(
            kind,
            param,
            f"{kind.capitalize()} file has {len(examples)} example(s), but must have at least "
            f"{minimum} examples",
        )
    return DataReport(examples=examples, tokens=tokens)


def _error(kind: str, param: str, detail: str) -> DataError:
    return DataError(
        code=f"invalid_{kind}_file",
        message=f"The job failed due to an invalid {kind} file. {detail}",
        param=param,
    )


def _parse_line(line: bytes) -> Obj:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise _LineError("the line is not valid JSON.") from None
    if not isinstance(value, dict):
        raise _LineError("each line must be a JSON object.")
    return value


def _check_example(example: Obj, method: str) -> None:
    if method == "dpo":
        _check_preference(example)
        return
    messages = _messages(example.get("messages"), "messages")
    if method == "supervised" and not any(m["role"] == "assistant" for m in messages):
        raise _LineError("the example has no assistant message to train on.")


def _check_preference(example: Obj) -> None:
    source = example.get("input")
    if not isinstance(source, dict):
        raise _LineError("missing required key 'input' (an object with 'messages').")
    _messages(source.get("messages"), "input.messages")
    for key in ("preferred_output", "non_preferred_output"):
        outputs = _messages(example.get(key), key)
        if outputs[-1]["role"] != "assistant":
            raise _LineError(f"the last message of '{key}' must have role 'assistant'.")


def _messages(value: Any, key: str) -> list[Obj]:
    if not isinstance(value, list) or not value:
        raise _LineError(f"'{key}' must be a non-empty array of messages.")
    for index, message in enumerate(value, start=1):
        if not isinstance(message, dict):
            raise _LineError(f"{key} {index}: each message must be an object.")
        role = message.get("role")
        if role not in ROLES:
            raise _LineError(f"{key} {index}: unrecognized role {role!r}.")
        if "content" not in message and "tool_calls" not in message:
            raise _LineError(f"{key} {index}: missing required key 'content'.")
    return value


# -- token counts (an estimate: no tokenizer tables are needed offline) --------------------------


def count_example_tokens(example: Obj) -> int:
    """About what the tokenizer gives: words and punctuation, plus 4 tokens per message."""
    texts: list[str] = []
    _collect_texts(example, texts)
    return sum(count_text_tokens(text) + 4 for text in texts)


def count_text_tokens(text: str) -> int:
    return max(1, math.ceil(len(_TOKEN.findall(text)) * 1.1))


def _collect_texts(value: Any, texts: list[str]) -> None:
    """Every `content`/`text` string of an example, however deeply nested."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("content", "text") and isinstance(item, str):
                texts.append(item)
            else:
                _collect_texts(item, texts)
    elif isinstance(value, list):
        for item in value:
            _collect_texts(item, texts)
