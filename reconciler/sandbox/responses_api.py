"""`POST /v1/responses` and the stored-response routes' logic (create, retrieve, delete, items).

`inference` routes HTTP requests and batch lines here. `create_response` validates the body as
the real API does, turns `instructions` + `previous_response_id` + `input` into a
`standin.Conversation`, generates the answer, counts usage (with prompt caching), writes the
usage event and, unless `store` is false, keeps the response (kind `"response"`, scoped to the
project) and its input items (kind `"response_input_items"`).
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson

from . import request_checks as checks
from .calls import Call, record_usage, require_kind, resolve_model
from .http import APIError, check_params, check_type, invalid
from .response_input import messages_of, normalize_input, parse_tool_choice, parse_tools
from .standin import Conversation, Generation, Message, OutputFormat, Settings, generate
from .usage import prompt_usage

Obj = dict[str, Any]

# fmt: off
ALLOWED = (
    "model", "input", "instructions", "max_output_tokens", "temperature", "top_p", "metadata",
    "store", "text", "tools", "tool_choice", "parallel_tool_calls", "previous_response_id",
    "stream", "stream_options", "user", "safety_identifier", "prompt_cache_key",
    "prompt_cache_retention", "prompt_cache_options", "reasoning", "include", "truncation",
    "service_tier", "background", "max_tool_calls", "top_logprobs", "conversation", "prompt",
    "context_management", "moderation", "access_programs", "background_options", "image",
)
# fmt: on
SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority")


def create_response(call: Call, body: Obj) -> Obj:
    check_params(body, allowed=ALLOWED, required=("model",))
    settings = _settings(body)
    if body.get("input") is None:
        raise invalid("Missing required parameter: 'input'.", "input", "missing_required_parameter")
    items = normalize_input(body["input"])
    instructions = checks.optional_str(body, "instructions")
    model = resolve_model(call, body)
    require_kind(model, "text", "v1/responses")
    previous = _previous_items(call, body)
    conversation = _conversation(instructions, previous + items, settings, body)
    _check_json_mode(settings, conversation)
    generation = generate(call, model, conversation, settings)
    usage = prompt_usage(call, model, conversation, body, generation.output_tokens)
    response = _response_object(call, body, model, settings, generation, usage)
    record_usage(
        call,
        model=model,
        endpoint="responses",
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cached_tokens=usage.cached_tokens,
    )
    if response["store"]:
        _keep(call, response, items, previous + items)
    return response


def _keep(call: Call, response: Obj, items: list[Obj], context: list[Obj]) -> None:
    """Store the response and, apart, its input: `items` for input_items, `context` (with the
    previous responses' items) for a follow-up's `previous_response_id`."""
    store = call.sandbox.store
    store.put("response", response, scope=call.project_id)
    history = {
        "id": response["id"],
        "items": items,
        "context": context,
        "output": response["output"],
    }
    store.put("response_input_items", history, scope=call.project_id)


def get_response(call: Call, response_id: str) -> Obj:
    response = call.sandbox.store.get("response", response_id, scope=call.project_id)
    if response is None:
        raise _response_not_found(response_id)
    return response


def delete_response(call: Call, response_id: str) -> Obj:
    get_response(call, response_id)
    call.sandbox.store.delete("response", response_id)
    call.sandbox.store.delete("response_input_items", response_id)
    return {"id": response_id, "object": "response.deleted", "deleted": True}


def input_items(call: Call, response_id: str) -> list[Obj]:
    """The response's input items, oldest first (the route pages them, newest first)."""
    get_response(call, response_id)
    record = call.sandbox.store.get("response_input_items", response_id) or {}
    return list(record.get("items", []))


def _response_not_found(response_id: str, param: str | None = None) -> APIError:
    prefix = "Previous response" if param else "Response"
    return APIError(404, f"{prefix} with id '{response_id}' not found.", param=param)


# -- request --------------------------------------------------------------------------------


def _settings(body: Obj) -> Settings:
    temperature = checks.optional_number(body, "temperature", minimum=0, maximum=2)
    checks.optional_number(body, "top_p", minimum=0, maximum=1)
    checks.optional_int(body, "top_logprobs", minimum=0, maximum=20)
    max_output = checks.optional_int(body, "max_output_tokens", minimum=16)
    checks.optional_int(body, "max_tool_calls", minimum=1)
    for flag in ("store", "stream", "background", "parallel_tool_calls"):
        checks.optional_bool(body, flag)
    checks.metadata_of(body)
    checks.optional_enum(body, "truncation", ("auto", "disabled"))
    checks.optional_enum(body, "service_tier", SERVICE_TIERS)
    checks.optional_enum(body, "prompt_cache_retention", ("in_memory", "24h"))
    checks.optional_str(body, "safety_identifier", max_length=64)
    checks.optional_str(body, "prompt_cache_key")
    checks.optional_str(body, "user")
    if body.get("conversation") is not None:
        conversation_id = body["conversation"]
        if isinstance(conversation_id, dict):
            conversation_id = conversation_id.get("id")
        raise APIError(
            404, f"Conversation with id '{conversation_id}' not found.", param="conversation"
        )
    tools = parse_tools(body.get("tools"))
    return Settings(
        temperature=1.0 if temperature is None else temperature,
        output_format=_output_format(body.get("text")),
        tools=tools,
        tool_choice=parse_tool_choice(body.get("tool_choice"), tools),
        max_output_tokens=max_output,
    )


def _output_format(text: Any) -> OutputFormat:
    if text is None:
        return OutputFormat()
    check_type(text, dict, "text")
    fmt = text.get("format")
    if text.get("verbosity") is not None:
        checks.one_of(text["verbosity"], ("low", "medium", "high"), "text.verbosity")
    if fmt is None:
        return OutputFormat()
    check_type(fmt, dict, "text.format")
    kind = checks.one_of(
        checks.required_key(fmt, "type", "text.format"),
        ("text", "json_object", "json_schema"),
        "text.format.type",
    )
    if kind != "json_schema":
        return OutputFormat(kind)  # type: ignore[arg-type]
    checks.required_key(fmt, "name", "text.format")
    schema = checks.required_key(fmt, "schema", "text.format")
    check_type(schema, dict, "text.format.schema")
    return OutputFormat("json_schema", schema)


def _previous_items(call: Call, body: Obj) -> list[Obj]:
    previous_id = checks.optional_str(body, "previous_response_id")
    if previous_id is None:
        return []
    store = call.sandbox.store
    if store.get("response", previous_id, scope=call.project_id) is None:
        raise _response_not_found(previous_id, "previous_response_id")
    record = store.get("response_input_items", previous_id) or {}
    return list(record.get("context", [])) + list(record.get("output", []))


def _conversation(
    instructions: str | None, items: list[Obj], settings: Settings, body: Obj
) -> Conversation:
    messages = messages_of(items)
    if instructions:
        messages = (Message("system", instructions), *messages)
    extra: list[str] = []
    if body.get("tools"):
        extra.append(_canonical(body["tools"]))
    if settings.output_format.kind == "json_schema":
        extra.append(_canonical(settings.output_format.schema))
    return Conversation(tuple(messages), tuple(extra))


def _canonical(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _check_json_mode(settings: Settings, conversation: Conversation) -> None:
    if settings.output_format.kind != "json_object":
        return
    if not any("json" in m.text.lower() for m in conversation.messages):
        raise invalid(
            "Response input messages must contain the word 'json' in some form to use "
            "'text.format' of type 'json_object'.",
            param="input",
        )


# -- response -------------------------------------------------------------------------------


def new_item_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


def output_items(generation: Generation) -> list[Obj]:
    if generation.function is not None:
        return [
            {
                "id": new_item_id("fc"),
                "type": "function_call",
                "status": "completed",
                "arguments": generation.arguments,
                "call_id": f"call_{secrets.token_urlsafe(18)}",
                "name": generation.function.name,
            }
        ]
    text_part: Obj = {
        "type": "output_text",
        "annotations": [],
        "logprobs": [],
        "text": generation.text,
    }
    return [
        {
            "id": new_item_id("msg"),
            "type": "message",
            "status": "incomplete" if generation.truncated else "completed",
            "content": [text_part],
            "role": "assistant",
        }
    ]


def _response_object(
    call: Call, body: Obj, model: str, settings: Settings, generation: Generation, usage: Any
) -> Obj:
    now = call.now()
    truncated = generation.truncated
    return {
        "id": new_item_id("resp"),
        "object": "response",
        "created_at": now,
        "status": "incomplete" if truncated else "completed",
        "background": bool(body.get("background") or False),
        "completed_at": None if truncated else now,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": model,
        "output": output_items(generation),
        "parallel_tool_calls": body.get("parallel_tool_calls", True) is not False,
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "prompt_cache_retention": body.get("prompt_cache_retention"),
        "reasoning": {"effort": None, "summary": None},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "store": body.get("store", True) is not False,
        "temperature": settings.temperature,
        "text": {"format": _format_echo(body), "verbosity": "medium"},
        "tool_choice": _tool_choice_echo(body.get("tool_choice")),
        "tools": [_tool_echo(tool) for tool in body.get("tools") or []],
        "top_logprobs": body.get("top_logprobs") or 0,
        "top_p": body.get("top_p") if body.get("top_p") is not None else 1.0,
        "truncation": body.get("truncation") or "disabled",
        "usage": usage.as_response_usage(),
        "metadata": body.get("metadata") or {},
    } | ({"user": body["user"]} if body.get("user") is not None else {})


def _format_echo(body: Obj) -> Obj:
    fmt = (body.get("text") or {}).get("format")
    if not fmt:
        return {"type": "text"}
    if fmt.get("type") == "json_schema":
        echo = {"type": "json_schema", "name": fmt["name"], "schema": fmt["schema"]}
        if fmt.get("description") is not None:
            echo["description"] = fmt["description"]
        return echo | {"strict": fmt.get("strict", False)}
    return {"type": fmt["type"]}


def _tool_choice_echo(tool_choice: Any) -> Any:
    return "auto" if tool_choice is None else tool_choice


def _tool_echo(tool: Obj) -> Obj:
    if tool.get("type") != "function":
        return tool
    return {
        "type": "function",
        "name": tool["name"],
        "description": tool.get("description"),
        "parameters": tool.get("parameters"),
        "strict": tool.get("strict", True),
    }
