"""Fine-tuned stand-in models answer from their training data.

`standin.reply_text` calls `nearest_reply(call, model, question)`: the model's `"ft_model_source"`
record (written by the fine-tuning routes) names the training file; its bytes (blob id = file id)
are parsed once per model and cached in memory; the answer is the assistant reply of the example
whose last user message shares the most words with the question (Jaccard similarity; ties go to
the earlier example; no shared word at all → None, and the base model's answer is used).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from .calls import Call

_TOKEN = re.compile(r"[a-z0-9]+")
_CACHE_KEY = "inference.training_sets"
_lock = threading.Lock()


@dataclass(frozen=True)
class Example:
    words: frozenset[str]
    reply: str


def words_of(text: str) -> frozenset[str]:
    return frozenset(_TOKEN.findall(text.lower()))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def nearest_reply(call: Call, model: str, question: str) -> str | None:
    examples = training_set(call, model)
    asked = words_of(question)
    best: Example | None = None
    best_score = 0.0
    for example in examples:
        score = similarity(asked, example.words)
        if score > best_score:
            best, best_score = example, score
    return best.reply if best is not None else None


def training_set(call: Call, model: str) -> list[Example]:
    """The parsed examples of a fine-tuned model (cached per model for the process)."""
    cache: dict[str, list[Example]] = call.sandbox.extras.setdefault(_CACHE_KEY, {})
    with _lock:
        if model in cache:
            return cache[model]
        examples = _load(call, model)
        if examples is not None:  # not cached while the source record is missing
            cache[model] = examples
        return examples or []


def _load(call: Call, model: str) -> list[Example] | None:
    store = call.sandbox.store
    source = store.get("ft_model_source", model)
    if source is None:
        return None
    data = store.get_blob(str(source.get("training_file", "")))
    if data is None:
        return None
    return [ex for line in data.splitlines() if (ex := parse_example(line)) is not None]


def parse_example(line: bytes) -> Example | None:
    """One JSONL line in chat (`messages`) or preference (`input` + `preferred_output`) format."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    if isinstance(record.get("input"), dict):
        prompt_messages = record["input"].get("messages", [])
        replies = record.get("preferred_output", [])
    else:
        messages = record.get("messages", [])
        if not isinstance(messages, list):
            return None
        last_assistant = _last_index(messages, "assistant")
        if last_assistant is None:
            return None
        prompt_messages, replies = messages[:last_assistant], [messages[last_assistant]]
    question = _last_text(prompt_messages, "user")
    reply = _last_text(replies, "assistant")
    if question is None or reply is None:
        return None
    return Example(words=words_of(question), reply=reply)


def _last_index(messages: list[Any], role: str) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], dict) and messages[index].get("role") == role:
            return index
    return None


def _last_text(messages: Any, role: str) -> str | None:
    if not isinstance(messages, list):
        return None
    index = _last_index(messages, role)
    return None if index is None else content_text(messages[index].get("content"))


def content_text(content: Any) -> str | None:
    """Text of a message `content`: a string or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return "".join(str(p) for p in parts)
    return None


def as_json(text: str | None) -> Any:
    """The reply parsed as JSON when it is a JSON object or array, else None."""
    if text is None or not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
