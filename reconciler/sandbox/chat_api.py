"""`POST /v1/chat/completions`: validation as the real API does it, answers from the stand-in.

`inference` routes HTTP requests and batch lines to `create_chat_completion`. It checks the
body, turns `messages` into a `standin.Conversation`, generates `n` choices (identical when
`temperature` is 0), counts usage (prompt caching included), writes the usage event and returns
the `chat.completion` object; `inference` streams it as chunks when `stream` is true.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

import orjson

from . import request_checks as checks
from . import tokens
from .calls import Call, record_usage, require_kind, resolve_model
from .http import check_params, check_type, invalid
from .standin import (
    Conversation,
    FunctionSpec,
    Generation,
    Message,
    OutputFormat,
    Settings,
    generate,
)
from .training_sets import content_text
from .usage import prompt_usage

Obj = dict[str, Any]

# fmt: off
ALLOWED = (
    "messages", "model", "audio", "frequency_penalty", "function_call", "functions", "logit_bias",
    "logprobs", "max_completion_tokens", "max_tokens", "metadata", "modalities", "moderation",
    "n", "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key",
    "prompt_cache_options", "prompt_cache_retention", "reasoning_effort", "response_format",
    "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options",
    "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity",
    "web_search_options",
)
# fmt: on
ROLES = ("system", "assistant", "user", "function", "tool", "developer")
PART_TYPES = ("text", "image_url", "input_audio", "file", "refusal")
_ALNUM = string.ascii_letters + string.digits


def create_chat_completion(call: Call, body: Obj) -> Obj:
    check_params(body, allowed=ALLOWED, required=("messages", "model"))
    conversation = Conversation(parse_messages(body["messages"]))
    settings, count = _settings(body, conversation)
    model = resolve_model(call, body)
    require_kind(model, "text", "v1/chat/completions")
    conversation = Conversation(conversation.messages, _extra_prompt(body, settings))
    generations = [generate(call, model, conversation, settings, choice) for choice in range(count)]
    spent = sum(g.output_tokens for g in generations)
    usage = prompt_usage(call, model, conversation, body, spent)
    record_usage(
        call,
        model=model,
        endpoint="chat.completions",
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cached_tokens=usage.cached_tokens,
    )
    logprobs = bool(body.get("logprobs"))
    top = int(body.get("top_logprobs") or 0)
    return {
        "id": "chatcmpl-" + "".join(secrets.choice(_ALNUM) for _ in range(29)),
        "object": "chat.completion",
        "created": call.now(),
        "model": model,
        "choices": [_choice(index, g, model, logprobs, top) for index, g in enumerate(generations)],
        "usage": usage.as_chat_usage(),
        "service_tier": "default",
        "system_fingerprint": "fp_sandbox",
    }


# -- request --------------------------------------------------------------------------------


def parse_messages(raw: Any) -> tuple[Message, ...]:
    messages = checks.non_empty_list(raw, "messages")
    parsed: list[Message] = []
    awaiting_tool_results = False
    for index, message in enumerate(messages):
        param = f"messages[{index}]"
        check_type(message, dict, param)
        role = checks.one_of(checks.required_key(message, "role", param), ROLES, f"{param}.role")
        if role == "tool":
            if not awaiting_tool_results:
                raise invalid(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    param=f"messages.[{index}].role",
                )
            checks.required_key(message, "tool_call_id", param)
        awaiting_tool_results = bool(message.get("tool_calls")) or (
            role == "tool" and awaiting_tool_results
        )
        parsed.append(Message(role, _message_text(message, role, param), message.get("name") or ""))
    return tuple(parsed)


def _message_text(message: Obj, role: str, param: str) -> str:
    content = message.get("content")
    if content is None:
        if role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
            return orjson.dumps(message.get("tool_calls") or message["function_call"]).decode()
        checks.required_key(message, "content", param)
    check_type(content, (str, list), f"{param}.content")
    if isinstance(content, list):
        for part_index, part in enumerate(content):
            where = f"{param}.content[{part_index}]"
            check_type(part, dict, where)
            kind = checks.required_key(part, "type", where)
            checks.one_of(kind, PART_TYPES, f"{where}.type")
        return "\n".join(
            content_text([p]) or f"[{p['type']}]" for p in content if isinstance(p, dict)
        )
    return str(content)


def _settings(body: Obj, conversation: Conversation) -> tuple[Settings, int]:
    temperature = checks.optional_number(body, "temperature", minimum=0, maximum=2)
    checks.optional_number(body, "top_p", minimum=0, maximum=1)
    checks.optional_number(body, "presence_penalty", minimum=-2, maximum=2)
    checks.optional_number(body, "frequency_penalty", minimum=-2, maximum=2)
    count = checks.optional_int(body, "n", minimum=1, maximum=128) or 1
    limit = checks.optional_int(body, "max_completion_tokens", minimum=1)
    legacy_limit = checks.optional_int(body, "max_tokens", minimum=1)
    _check_flags(body)
    tools = _tools(body.get("tools"))
    return (
        Settings(
            temperature=1.0 if temperature is None else temperature,
            output_format=_response_format(body.get("response_format"), conversation),
            tools=tools,
            tool_choice=_tool_choice(body.get("tool_choice"), tools),
            max_output_tokens=limit if limit is not None else legacy_limit,
            stop=_stop(body.get("stop")),
        ),
        count,
    )


def _check_flags(body: Obj) -> None:
    for flag in ("logprobs", "store", "stream", "parallel_tool_calls"):
        checks.optional_bool(body, flag)
    top = checks.optional_int(body, "top_logprobs", minimum=0, maximum=20)
    if top and not body.get("logprobs"):
        raise invalid(
            "Invalid value for 'top_logprobs': 'logprobs' must be set to true when "
            "'top_logprobs' is used.",
            param="top_logprobs",
        )
    if body.get("stream_options") is not None and not body.get("stream"):
        raise invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
        )
    if "audio" in (body.get("modalities") or []) or body.get("audio") is not None:
        raise invalid(
            "The sandbox's stand-in model does not produce audio; use modalities ['text'].",
            param="modalities",
        )
    checks.metadata_of(body)
    checks.optional_str(body, "safety_identifier", max_length=64)
    checks.optional_enum(body, "prompt_cache_retention", ("in_memory", "24h"))
    checks.optional_enum(body, "reasoning_effort", ("none", "minimal", "low", "medium", "high"))


def _stop(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    check_type(raw, (str, list), "stop")
    if len(raw) > 4:
        raise invalid(
            f"Invalid 'stop': array too long. Expected an array with maximum length 4, but got "
            f"an array with length {len(raw)} instead.",
            param="stop",
            code="array_above_max_length",
        )
    return tuple(str(s) for s in raw)


def _response_format(raw: Any, conversation: Conversation) -> OutputFormat:
    if raw is None:
        return OutputFormat()
    check_type(raw, dict, "response_format")
    kind = checks.one_of(
        checks.required_key(raw, "type", "response_format"),
        ("text", "json_object", "json_schema"),
        "response_format.type",
    )
    if kind == "json_object":
        if not any("json" in m.text.lower() for m in conversation.messages):
            raise invalid(
                "'messages' must contain the word 'json' in some form, to use 'response_format' "
                "of type 'json_object'.",
                param="messages",
            )
        return OutputFormat("json_object")
    if kind == "text":
        return OutputFormat()
    spec = checks.required_key(raw, "json_schema", "response_format")
    check_type(spec, dict, "response_format.json_schema")
    checks.required_key(spec, "name", "response_format.json_schema")
    schema = spec.get("schema") or {}
    check_type(schema, dict, "response_format.json_schema.schema")
    return OutputFormat("json_schema", schema)


def _tools(raw: Any) -> tuple[FunctionSpec, ...]:
    if raw is None:
        return ()
    check_type(raw, list, "tools")
    functions = []
    for index, tool in enumerate(raw):
        param = f"tools[{index}]"
        check_type(tool, dict, param)
        kind = checks.required_key(tool, "type", param)
        checks.one_of(kind, ("function", "custom"), f"{param}.type")
        if kind != "function":
            continue
        function = checks.required_key(tool, "function", param)
        check_type(function, dict, f"{param}.function")
        name = checks.required_key(function, "name", f"{param}.function")
        functions.append(FunctionSpec(str(name), function.get("parameters") or {}))
    return tuple(functions)


def _tool_choice(raw: Any, tools: tuple[FunctionSpec, ...]) -> Any:
    if raw is None:
        return "auto"
    if isinstance(raw, str):
        choice = checks.one_of(raw, ("none", "auto", "required"), "tool_choice")
        if choice != "none" and not tools:
            raise invalid(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
                "specified.",
                param="tool_choice",
            )
        return choice
    check_type(raw, dict, "tool_choice")
    return raw


def _extra_prompt(body: Obj, settings: Settings) -> tuple[str, ...]:
    extra = []
    if body.get("tools"):
        extra.append(orjson.dumps(body["tools"], option=orjson.OPT_SORT_KEYS).decode())
    if settings.output_format.kind == "json_schema":
        schema = settings.output_format.schema
        extra.append(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS).decode())
    return tuple(extra)


# -- response -------------------------------------------------------------------------------


def _choice(index: int, generation: Generation, model: str, logprobs: bool, top: int) -> Obj:
    message: Obj = {
        "role": "assistant",
        "content": generation.text,
        "refusal": None,
        "annotations": [],
    }
    finish_reason = "length" if generation.truncated else "stop"
    if generation.function is not None:
        finish_reason = "tool_calls"
        message["tool_calls"] = [
            {
                "id": "call_" + "".join(secrets.choice(_ALNUM) for _ in range(24)),
                "type": "function",
                "function": {"name": generation.function.name, "arguments": generation.arguments},
            }
        ]
    return {
        "index": index,
        "message": message,
        "logprobs": _logprobs(generation.text or "", model, top) if logprobs else None,
        "finish_reason": finish_reason,
    }


def _logprobs(text: str, model: str, top: int) -> Obj:
    """Made-up but stable log probabilities: one entry per output token."""
    entries = []
    for token in tokens.encode(text, model):
        alternatives = [_token_entry((token + rank) % 100_000, model, rank) for rank in range(top)]
        entries.append({**_token_entry(token, model, 0), "top_logprobs": alternatives})
    return {"content": entries, "refusal": None}


def _token_entry(token: int, model: str, rank: int) -> Obj:
    piece = tokens.decode([token], model)
    logprob = -round(((token * 2654435761) % 1000) / 20000 + rank * 1.5, 6)
    return {"token": piece, "logprob": logprob, "bytes": list(piece.encode())}
