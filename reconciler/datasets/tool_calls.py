"""Rules for tool use inside messages: assistant tool calls and the tool replies to them.

Called by `messages.py` for assistant and tool messages: call shape (`id`, `type: function`,
`function.name`, JSON `arguments`), calls to functions the example does not declare, and tool
replies that answer a call made earlier in the same example. Returns the calls' tokens.
"""

from __future__ import annotations

from typing import Any

import orjson

from reconciler.datasets.problems import did_you_mean
from reconciler.datasets.rulebase import LineContext, json_type


def check_assistant_calls(
    message: dict[str, Any],
    where: str,
    ctx: LineContext,
    tool_call_ids: set[str],
    declared: set[str] | None,
) -> int:
    tokens = 0
    calls = message.get("tool_calls")
    if calls is not None:
        if type(calls) is not list or not calls:
            ctx.add(
                "invalid_tool_call",
                f"{where}.tool_calls must be a non-empty list",
                key="tool_calls",
                at=where,
            )
        else:
            for index, call in enumerate(calls):
                tokens += _check_tool_call(
                    call, f"{where}.tool_calls[{index}]", ctx, tool_call_ids, declared
                )
    function_call = message.get("function_call")
    if function_call is not None:
        tokens += _check_function(function_call, f"{where}.function_call", ctx, declared)
    return tokens


def _check_tool_call(
    call: Any, at: str, ctx: LineContext, tool_call_ids: set[str], declared: set[str] | None
) -> int:
    if type(call) is not dict:
        ctx.add("invalid_tool_call", f"{at} is {json_type(call)}, not an object")
        return 0
    call_id = call.get("id")
    if type(call_id) is not str or not call_id:
        ctx.add("invalid_tool_call", f"{at} needs an 'id' string")
    else:
        tool_call_ids.add(call_id)
    if call.get("type") != "function":
        ctx.add("invalid_tool_call", f'{at} needs "type": "function" (got {call.get("type")!r})')
    return _check_function(call.get("function"), f"{at}.function", ctx, declared)


def _check_function(function: Any, at: str, ctx: LineContext, declared: set[str] | None) -> int:
    if type(function) is not dict:
        ctx.add("invalid_tool_call", f"{at} must be an object with 'name' and 'arguments'")
        return 0
    name, arguments = function.get("name"), function.get("arguments")
    if type(name) is not str or not name or type(arguments) is not str:
        ctx.add("invalid_tool_call", f"{at} needs 'name' and 'arguments' strings")
        return 0
    try:
        orjson.loads(arguments)
    except orjson.JSONDecodeError:
        ctx.add("tool_call_arguments_not_json", f"{at}.arguments is not valid JSON")
    if declared is not None and name not in declared:
        ctx.add(
            "tool_call_undeclared",
            f"{at} calls {name!r}, which the example's tools do not declare",
            did_you_mean(name, declared),
        )
    counter = ctx.counter
    return counter.text(name) + counter.text(arguments) if counter else 0


def check_tool_reply(
    message: dict[str, Any], where: str, ctx: LineContext, tool_call_ids: set[str]
) -> None:
    call_id = message.get("tool_call_id")
    if type(call_id) is not str or not call_id:
        ctx.add("tool_call_id_missing", f"{where} (tool) has no 'tool_call_id'")
    elif call_id not in tool_call_ids:
        known = ", ".join(sorted(tool_call_ids)) or "none"
        ctx.add(
            "tool_call_id_unknown",
            f"{where} answers tool call {call_id!r}, which no "
            f"earlier assistant message made (known: {known})",
            key="tool_call_id",
            at=where,
        )
