"""Server-sent events for `stream: true`: the finished answer replayed as the real event sequence.

`inference` generates the whole response first (so validation errors still come back as plain
JSON 400s), then, when the request asked to stream, wraps it here: `response_events` yields the
Responses API's typed events (`response.created` ... `response.completed`), `chat_chunks` the
`chat.completion.chunk` objects followed by `data: [DONE]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
from starlette.responses import StreamingResponse

Obj = dict[str, Any]
_PIECE = re.compile(r"\S+\s*|\s+")


def sse_response(events: Iterator[bytes]) -> StreamingResponse:
    return StreamingResponse(
        events, media_type="text/event-stream", headers={"cache-control": "no-cache"}
    )


def pieces(text: str) -> list[str]:
    """The deltas a text streams in: one word (with its trailing space) at a time."""
    return _PIECE.findall(text) or [""]


def _event(kind: str, data: Obj) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


# -- Responses API ----------------------------------------------------------------------------


def response_events(response: Obj) -> Iterator[bytes]:
    counter = iter(range(1_000_000))

    def emit(kind: str, **fields: Any) -> bytes:
        return _event(kind, {"type": kind, "sequence_number": next(counter), **fields})

    pending = {**response, "status": "in_progress", "output": [], "usage": None}
    pending["completed_at"] = None
    yield emit("response.created", response=pending)
    yield emit("response.in_progress", response=pending)
    for index, item in enumerate(response["output"]):
        yield from _item_events(emit, index, item)
    finished = response["status"] == "completed"
    yield emit("response.completed" if finished else "response.incomplete", response=response)


def _item_events(emit: Any, index: int, item: Obj) -> Iterator[bytes]:
    if item["type"] == "function_call":
        yield emit(
            "response.output_item.added",
            output_index=index,
            item={**item, "arguments": "", "status": "in_progress"},
        )
        common = {"item_id": item["id"], "output_index": index}
        yield emit("response.function_call_arguments.delta", delta=item["arguments"], **common)
        yield emit("response.function_call_arguments.done", arguments=item["arguments"], **common)
        yield emit("response.output_item.done", output_index=index, item=item)
        return
    yield emit(
        "response.output_item.added",
        output_index=index,
        item={**item, "content": [], "status": "in_progress"},
    )
    for part_index, part in enumerate(item["content"]):
        common = {"item_id": item["id"], "output_index": index, "content_index": part_index}
        yield emit("response.content_part.added", part={**part, "text": ""}, **common)
        for delta in pieces(part["text"]):
            yield emit("response.output_text.delta", delta=delta, logprobs=[], **common)
        yield emit("response.output_text.done", text=part["text"], logprobs=[], **common)
        yield emit("response.content_part.done", part=part, **common)
    yield emit("response.output_item.done", output_index=index, item=item)


# -- Chat Completions --------------------------------------------------------------------------


def chat_chunks(completion: Obj, *, include_usage: bool) -> Iterator[bytes]:
    base = {
        "id": completion["id"],
        "object": "chat.completion.chunk",
        "created": completion["created"],
        "model": completion["model"],
        "service_tier": completion.get("service_tier"),
        "system_fingerprint": completion.get("system_fingerprint"),
    }
    extra = {"usage": None} if include_usage else {}

    def chunk(choices: list[Obj]) -> bytes:
        return b"data: " + orjson.dumps({**base, "choices": choices, **extra}) + b"\n\n"

    for choice in completion["choices"]:
        for delta in _choice_deltas(choice["message"]):
            yield chunk([_chunk_choice(choice["index"], delta, None)])
        yield chunk([_chunk_choice(choice["index"], {}, choice["finish_reason"])])
    if include_usage:
        yield b"data: " + orjson.dumps({**base, "choices": [], "usage": completion["usage"]})
        yield b"\n\n"
    yield b"data: [DONE]\n\n"


def _chunk_choice(index: int, delta: Obj, finish_reason: str | None) -> Obj:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


def _choice_deltas(message: Obj) -> Iterator[Obj]:
    yield {"role": "assistant", "content": "", "refusal": None}
    if message.get("tool_calls"):
        for position, tool_call in enumerate(message["tool_calls"]):
            yield {"tool_calls": [{"index": position, **tool_call}]}
        return
    for delta in pieces(message["content"] or ""):
        yield {"content": delta}
