"""Parse the Responses API's `input`, `tools` and `tool_choice` the way the real API checks them.

`responses_api.create_response` calls `normalize_input` to turn a string or a list of input
items into stored item resources (each with an id, as `GET /responses/{id}/input_items` shows
them), then `messages_of` to hand the stand-in model plain `Message`s. Errors name the offending
path (`input[0].content[1].type`) like the real API's 400 answers.
"""

from __future__ import annotations

import secrets
from typing import Any

from . import request_checks as checks
from .http import check_type, invalid
from .standin import FunctionSpec, Message
from .training_sets import content_text

Obj = dict[str, Any]

MESSAGE_ROLES = ("user", "assistant", "system", "developer")
INPUT_PART_TYPES = ("input_text", "input_image", "input_file")
OUTPUT_PART_TYPES = ("output_text", "refusal")
ITEM_TYPES = ("message", "function_call", "function_call_output")
IMAGE_PLACEHOLDER = "[image]"
FILE_PLACEHOLDER = "[file]"


def item_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


def normalize_input(raw: Any) -> list[Obj]:
    """The input as item resources (messages, function calls and their outputs)."""
    if isinstance(raw, str):
        return [_message("user", [{"type": "input_text", "text": raw}])]
    check_type(raw, (str, list), "input")
    return [_item(entry, f"input[{index}]") for index, entry in enumerate(raw)]


def _item(entry: Any, param: str) -> Obj:
    check_type(entry, dict, param)
    kind = entry.get("type", "message")
    if kind == "item_reference":
        raise invalid(f"Item with id '{entry.get('id')}' not found.", param=param)
    checks.one_of(kind, ITEM_TYPES, f"{param}.type")
    if kind == "function_call":
        return {
            "id": str(entry.get("id") or item_id("fc")),
            "type": "function_call",
            "status": "completed",
            "arguments": str(checks.required_key(entry, "arguments", param)),
            "call_id": str(checks.required_key(entry, "call_id", param)),
            "name": str(checks.required_key(entry, "name", param)),
        }
    if kind == "function_call_output":
        output = checks.required_key(entry, "output", param)
        return {
            "id": str(entry.get("id") or item_id("fco")),
            "type": "function_call_output",
            "status": "completed",
            "call_id": str(checks.required_key(entry, "call_id", param)),
            "output": output if isinstance(output, str) else content_text(output) or "",
        }
    role = checks.one_of(checks.required_key(entry, "role", param), MESSAGE_ROLES, f"{param}.role")
    content = checks.required_key(entry, "content", param)
    return _message(role, _parts(role, content, f"{param}.content"))


def _parts(role: str, content: Any, param: str) -> list[Obj]:
    text_type = "output_text" if role == "assistant" else "input_text"
    if isinstance(content, str):
        return [{"type": text_type, "text": content}]
    check_type(content, (str, list), param)
    allowed = OUTPUT_PART_TYPES if role == "assistant" else INPUT_PART_TYPES
    parts = []
    for index, part in enumerate(content):
        where = f"{param}[{index}]"
        check_type(part, dict, where)
        kind = checks.one_of(checks.required_key(part, "type", where), allowed, f"{where}.type")
        if kind in ("input_text", "output_text"):
            check_type(checks.required_key(part, "text", where), str, f"{where}.text")
        if kind == "refusal":
            check_type(checks.required_key(part, "refusal", where), str, f"{where}.refusal")
        parts.append(_part(kind, part))
    return parts


def _part(kind: str, part: Obj) -> Obj:
    if kind == "input_image":
        return {
            "type": "input_image",
            "image_url": part.get("image_url"),
            "file_id": part.get("file_id"),
            "detail": part.get("detail") or "auto",
        }
    if kind == "output_text":
        return {"type": "output_text", "text": part["text"], "annotations": [], "logprobs": []}
    return {k: v for k, v in part.items() if k != "prompt_cache_breakpoint"}


def _message(role: str, parts: list[Obj]) -> Obj:
    if role == "assistant":
        parts = [
            {**p, "annotations": [], "logprobs": []} if p["type"] == "output_text" else p
            for p in parts
        ]
    return {
        "id": item_id("msg"),
        "type": "message",
        "status": "completed",
        "role": role,
        "content": parts,
    }


def messages_of(items: list[Obj]) -> tuple[Message, ...]:
    """What the stand-in reads: each message's text, each tool result as a `tool` message."""
    messages: list[Message] = []
    for item in items:
        if item["type"] == "message":
            messages.append(Message(item["role"], _text_of(item["content"])))
        elif item["type"] == "function_call":
            messages.append(Message("assistant", f"{item['name']}({item['arguments']})"))
        elif item["type"] == "function_call_output":
            messages.append(Message("tool", str(item["output"])))
    return tuple(messages)


def _text_of(parts: list[Obj]) -> str:
    texts = []
    for part in parts:
        if part["type"] in ("input_text", "output_text"):
            texts.append(part["text"])
        elif part["type"] == "refusal":
            texts.append(part["refusal"])
        elif part["type"] == "input_image":
            texts.append(IMAGE_PLACEHOLDER)
        else:
            texts.append(FILE_PLACEHOLDER)
    return "\n".join(texts)


def parse_tools(raw: Any) -> tuple[FunctionSpec, ...]:
    """The function tools on offer (other tool types are accepted and never called)."""
    if raw is None:
        return ()
    check_type(raw, list, "tools")
    functions = []
    for index, tool in enumerate(raw):
        param = f"tools[{index}]"
        check_type(tool, dict, param)
        kind = checks.required_key(tool, "type", param)
        check_type(kind, str, f"{param}.type")
        if kind != "function":
            continue
        name = checks.required_key(tool, "name", param)
        check_type(name, str, f"{param}.name")
        parameters = tool.get("parameters") or {}
        check_type(parameters, dict, f"{param}.parameters")
        functions.append(FunctionSpec(name, parameters))
    return tuple(functions)


def parse_tool_choice(raw: Any, tools: tuple[FunctionSpec, ...]) -> Any:
    if raw is None:
        return "auto"
    if isinstance(raw, str):
        choice = checks.one_of(raw, ("none", "auto", "required"), "tool_choice")
        if choice == "required" and not tools:
            raise invalid(
                "Tool choice 'required' must be specified with 'tools' parameter.",
                param="tool_choice",
            )
        return choice
    check_type(raw, dict, "tool_choice")
    if raw.get("type") == "function":
        name = checks.required_key(raw, "name", "tool_choice")
        if name not in {t.name for t in tools}:
            raise invalid(
                f"Tool choice '{name}' not found in 'tools' parameter.", param="tool_choice"
            )
    return raw
