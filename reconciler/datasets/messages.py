"""Rules for a `messages` list, shared by chat, preference, reinforcement and batch chat bodies.

`check_messages` validates every message of one example, reports problems into the chunk's
`ProblemLog` and counts tokens with the cookbook method in the same loop. Plain
`{"role", "content": "text"}` messages take a short path; anything else goes through the full
rules here, in `content_parts.py` (lists, images) and `tool_calls.py`. Called by `formats.py`.
"""

from __future__ import annotations

from typing import Any

from reconciler.datasets.content_parts import check_parts
from reconciler.datasets.problems import closest, did_you_mean
from reconciler.datasets.rulebase import (
    KEYS_BY_ROLE,
    SYSTEM_ROLES,
    LineContext,
    MessageRules,
    MessagesSummary,
    json_type,
)
from reconciler.datasets.tokens import TOKENS_PER_MESSAGE, TOKENS_PER_NAME
from reconciler.datasets.tool_calls import check_assistant_calls, check_tool_reply


def check_messages(
    messages: list[Any],
    rules: MessageRules,
    ctx: LineContext,
    where: str = "messages",
    declared_tools: set[str] | None = None,
) -> MessagesSummary:
    """Validate one example's messages; returns tokens (cookbook method, no reply priming)."""
    summary = MessagesSummary()
    counter = ctx.counter
    simple_roles = rules.simple_roles
    tool_call_ids: set[str] = set()
    tokens = assistant_tokens = 0
    has_system = has_user = has_assistant = False
    role: str | None = None
    for index, message in enumerate(messages):
        if type(message) is not dict:
            ctx.add("data_type", f"{where}[{index}] is {json_type(message)}, not an object")
            role = None
            continue
        role = message.get("role")
        content = message.get("content")
        if (
            type(role) is str
            and len(message) == 2
            and type(content) is str
            and content
            and role in simple_roles
        ):
            if counter is not None:
                if role == "assistant":
                    text_tokens = counter.text(content)
                    assistant_tokens += text_tokens
                elif role == "user":
                    text_tokens = counter.text(content)
                else:
                    text_tokens = counter.repeated(content)
                tokens += TOKENS_PER_MESSAGE + counter.repeated(role) + text_tokens
        else:
            if type(role) is not str:
                role = None
            tokens += _check_full_message(
                message,
                role,
                content,
                f"{where}[{index}]",
                rules,
                ctx,
                summary,
                tool_call_ids,
                declared_tools,
            )
        if role == "assistant":
            has_assistant = True
        elif role == "user":
            has_user = True
        elif role == "system" or role == "developer":
            has_system = True
    summary.tokens = tokens
    summary.assistant_tokens += assistant_tokens
    summary.has_system, summary.has_user, summary.has_assistant = (
        has_system,
        has_user,
        has_assistant,
    )
    summary.last_role = role
    return summary


def _check_full_message(
    message: dict[str, Any],
    role: Any,
    content: Any,
    where: str,
    rules: MessageRules,
    ctx: LineContext,
    summary: MessagesSummary,
    tool_call_ids: set[str],
    declared_tools: set[str] | None,
) -> int:
    """The complete rules for one message; returns its tokens (0 when not counting)."""
    if "role" not in message:
        ctx.add(
            "message_missing_key",
            f"{where} has no 'role'",
            rename_hint("role", message, KEYS_BY_ROLE["assistant"]),
        )
        return 0
    if role is None or role not in rules.roles:
        raw_role = message.get("role")
        shown = repr(raw_role) if type(raw_role) is str else json_type(raw_role)
        hint = rules.role_hints.get(str(raw_role)) or did_you_mean(str(raw_role), rules.roles)
        allowed = ", ".join(sorted(rules.roles))
        ctx.add(
            "unrecognized_role",
            f"{where} has role {shown}; allowed: {allowed}",
            hint,
            key="role",
            at=where,
        )
        return 0
    _check_keys(message, role, KEYS_BY_ROLE[role], where, rules, ctx)
    counter = ctx.counter
    content_tokens = _check_content(message, role, content, where, rules, ctx, summary)
    tokens = TOKENS_PER_MESSAGE + content_tokens + (counter.repeated(role) if counter else 0)
    name = message.get("name")
    if type(name) is str and counter is not None:
        tokens += counter.text(name) + TOKENS_PER_NAME
    if role == "assistant":
        call_tokens = check_assistant_calls(message, where, ctx, tool_call_ids, declared_tools)
        tokens += call_tokens
        if message.get("weight", 1) != 0:
            summary.assistant_tokens += content_tokens + call_tokens
    elif role == "tool":
        check_tool_reply(message, where, ctx, tool_call_ids)
    elif role == "function" and type(name) is not str:
        ctx.add("message_missing_key", f"{where} (function) has no 'name'")
    if "weight" in message and rules.allow_weight:
        weight = message["weight"]
        if role != "assistant":
            ctx.add(
                "invalid_weight",
                f"{where} ({role}) has a weight; only assistant messages can",
                "remove 'weight' from this message",
                key="weight",
                at=where,
            )
        elif type(weight) is not int or weight not in (0, 1):
            ctx.add(
                "invalid_weight",
                f"{where} has weight {weight!r}; use 0 or 1",
                key="weight",
                at=where,
            )
    return tokens if counter is not None else 0


def _check_keys(
    message: dict[str, Any],
    role: str,
    allowed: frozenset[str],
    where: str,
    rules: MessageRules,
    ctx: LineContext,
) -> None:
    for key in message:
        if key == "weight":
            if not rules.allow_weight:
                ctx.add(
                    "message_unrecognized_key",
                    f"{where} ({role}) has 'weight', which only "
                    "supervised fine-tuning examples take",
                    "remove 'weight'",
                    key=key,
                    at=where,
                )
            continue  # misuse in supervised examples is reported as invalid_weight
        if key in allowed:
            continue
        hint = did_you_mean(key, allowed) or f"{role} messages take: {', '.join(sorted(allowed))}"
        ctx.add(
            "message_unrecognized_key",
            f"{where} ({role}) has unrecognized key {key!r}",
            hint,
            key=key,
            at=where,
        )


def rename_hint(wanted: str, message: dict[str, Any], allowed: frozenset[str]) -> str | None:
    """`rename 'contnet' to 'content'` when an unknown key of `message` is close to `wanted`."""
    close = closest(wanted, [key for key in message if key not in allowed])
    return f"rename {close!r} to {wanted!r}" if close else None


def _check_content(
    message: dict[str, Any],
    role: str,
    content: Any,
    where: str,
    rules: MessageRules,
    ctx: LineContext,
    summary: MessagesSummary,
) -> int:
    has_call = bool(message.get("tool_calls") or message.get("function_call"))
    if "content" not in message:
        if role == "assistant" and has_call:
            return 0
        ctx.add(
            "message_missing_key",
            f"{where} ({role}) has no 'content'",
            rename_hint("content", message, KEYS_BY_ROLE[role]),
        )
        return 0
    if type(content) is str:
        if not content and not (role == "assistant" and has_call):
            ctx.add(
                "missing_content", f"{where} ({role}) has empty content", key="content", at=where
            )
        counter = ctx.counter
        if counter is None or not content:
            return 0
        return counter.repeated(content) if role in SYSTEM_ROLES else counter.text(content)
    if content is None:
        if not (role == "assistant" and has_call):
            ctx.add(
                "missing_content", f"{where} ({role}) has null content", key="content", at=where
            )
        return 0
    if type(content) is list:
        return check_parts(content, role, where, rules, ctx, summary)
    ctx.add(
        "missing_content",
        f"{where} ({role}) content is {json_type(content)}; use a string "
        "or a list of content parts",
        key="content",
        at=where,
    )
    return 0
