"""Rules for a `messages` list, shared by chat, preference, reinforcement and batch chat bodies.

`check_messages` validates every message of one example, reports problems into the chunk's
`ProblemLog` and counts tokens with the cookbook method in the same loop. Plain
`{"role", "content": "text"}` messages take a short path; anything else goes through the full
rules (content parts, images, tool calls, weights). Called by `formats.py` for each line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from reconciler.datasets.problems import ProblemLog, closest, did_you_mean
from reconciler.datasets.tokens import TOKENS_PER_MESSAGE, TOKENS_PER_NAME, TokenCounter

MAX_IMAGES_PER_EXAMPLE = 10
MAX_IMAGE_BYTES = 10 * 1024 * 1024
TRAINING_IMAGE_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/webp"})
REQUEST_IMAGE_TYPES = TRAINING_IMAGE_TYPES | {"image/gif"}
TRAINING_IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "webp"})
NON_TRAINING_IMAGE_EXTENSIONS = frozenset(
    {"gif", "bmp", "tif", "tiff", "svg", "heic", "heif", "avif", "ico"}
)
KEYS_BY_ROLE = {
    "system": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset(
        {"role", "content", "name", "tool_calls", "function_call", "refusal", "weight"}
    ),
    "tool": frozenset({"role", "content", "tool_call_id"}),
    "function": frozenset({"role", "content", "name"}),
}
SYSTEM_ROLES = frozenset({"system", "developer"})
SIMPLE_ROLES = frozenset({"system", "developer", "user", "assistant"})
PART_TYPES = ("text", "image_url", "refusal", "input_audio", "file")


@dataclass(frozen=True)
class MessageRules:
    """What one format allows in its messages."""

    roles: frozenset[str]
    allow_weight: bool
    training: bool
    role_hints: dict[str, str] = field(default_factory=dict)
    simple_roles: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        # Roles whose plain {"role", "content": "text"} messages take the short path.
        object.__setattr__(self, "simple_roles", self.roles & SIMPLE_ROLES)


ALL_ROLES = frozenset(KEYS_BY_ROLE)
SFT_RULES = MessageRules(ALL_ROLES, allow_weight=True, training=True)
PREFERENCE_RULES = MessageRules(ALL_ROLES, allow_weight=False, training=True)
RFT_RULES = MessageRules(
    frozenset({"developer", "user", "assistant", "tool"}),
    allow_weight=False,
    training=True,
    role_hints={"system": "reinforcement fine-tuning has no system role: use 'developer'"},
)
REQUEST_RULES = MessageRules(ALL_ROLES, allow_weight=False, training=False)


class MessagesSummary:
    """What the example-level rules need to know about a messages list."""

    __slots__ = (
        "assistant_tokens",
        "has_assistant",
        "has_system",
        "has_user",
        "images",
        "last_role",
        "tokens",
    )

    def __init__(self) -> None:
        self.tokens = 0
        self.assistant_tokens = 0
        self.images = 0
        self.has_system = self.has_user = self.has_assistant = False
        self.last_role: str | None = None


@dataclass
class LineContext:
    """Where problems go and how tokens are counted for the line being checked."""

    log: ProblemLog
    counter: TokenCounter | None
    line: int = 0
    raw: bytes = b""

    def column_of(self, key: str) -> int:
        """1-based column of `"key"` in the raw line (0 when not found)."""
        position = self.raw.find(b'"' + key.encode("utf-8", "replace") + b'"')
        if position < 0:
            return 0
        return len(self.raw[:position].decode("utf-8", "replace")) + 1

    def add(self, code: str, message: str, hint: str | None = None, key: str | None = None) -> None:
        column = self.column_of(key) if key else 0
        self.log.add(code, self.line, message, hint, column)


def json_type(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


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
            "unrecognized_role", f"{where} has role {shown}; allowed: {allowed}", hint, key="role"
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
        call_tokens = _check_assistant_calls(message, where, ctx, tool_call_ids, declared_tools)
        tokens += call_tokens
        if message.get("weight", 1) != 0:
            summary.assistant_tokens += content_tokens + call_tokens
    elif role == "tool":
        _check_tool_reply(message, where, ctx, tool_call_ids)
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
            )
        elif type(weight) is not int or weight not in (0, 1):
            ctx.add("invalid_weight", f"{where} has weight {weight!r}; use 0 or 1", key="weight")
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
            ctx.add("missing_content", f"{where} ({role}) has empty content", key="content")
        counter = ctx.counter
        if counter is None or not content:
            return 0
        return counter.repeated(content) if role in SYSTEM_ROLES else counter.text(content)
    if content is None:
        if not (role == "assistant" and has_call):
            ctx.add("missing_content", f"{where} ({role}) has null content", key="content")
        return 0
    if type(content) is list:
        return _check_parts(content, role, where, rules, ctx, summary)
    ctx.add(
        "missing_content",
        f"{where} ({role}) content is {json_type(content)}; use a string "
        "or a list of content parts",
        key="content",
    )
    return 0


def _check_parts(
    parts: list[Any],
    role: str,
    where: str,
    rules: MessageRules,
    ctx: LineContext,
    summary: MessagesSummary,
) -> int:
    if not parts:
        ctx.add("missing_content", f"{where} ({role}) has an empty content list", key="content")
        return 0
    tokens = 0
    counter = ctx.counter
    for index, part in enumerate(parts):
        at = f"{where}.content[{index}]"
        if type(part) is not dict:
            ctx.add("invalid_content_part", f"{at} is {json_type(part)}, not an object")
            continue
        kind = part.get("type")
        if kind == "text" or (kind == "refusal" and role == "assistant"):
            text = part.get(kind)
            if type(text) is not str or not text:
                ctx.add("invalid_content_part", f"{at} ({kind}) needs a non-empty {kind!r} string")
            elif counter is not None:
                tokens += counter.text(text)
        elif kind == "image_url":
            _check_image_part(part, role, at, rules, ctx, summary)
        elif kind in PART_TYPES and role == "user":
            if rules.training:
                ctx.add(
                    "invalid_content_part",
                    f"{at} is {kind!r}: fine-tuning accepts only text and image content",
                    "remove the part or describe it in text",
                )
        else:
            hint = did_you_mean(str(kind), PART_TYPES) or f"{role} messages take text parts"
            ctx.add(
                "invalid_content_part",
                f"{at} has type {kind!r}, not allowed in a {role} message",
                hint,
            )
    return tokens


def _check_image_part(
    part: dict[str, Any],
    role: str,
    at: str,
    rules: MessageRules,
    ctx: LineContext,
    summary: MessagesSummary,
) -> None:
    if role == "assistant":
        ctx.add("image_in_assistant_message", f"{at} is an image in an assistant message")
        return
    if role != "user":
        ctx.add(
            "invalid_content_part",
            f"{at} is an image in a {role} message; only user messages can hold images",
            "move the image to a user message",
        )
        return
    summary.images += 1
    image = part.get("image_url")
    url = image.get("url") if type(image) is dict else None
    if type(url) is not str or not url:
        ctx.add("invalid_image_url", f"{at} needs image_url.url")
        return
    detail = image.get("detail") if type(image) is dict else None
    if detail is not None and detail not in ("auto", "low", "high"):
        ctx.add("invalid_image_url", f"{at} has detail {detail!r}; use auto, low or high")
    if url.startswith("data:"):
        _check_data_url(url, at, rules, ctx)
    elif url.startswith(("https://", "http://")):
        path = url.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1]
        extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        if rules.training and extension in NON_TRAINING_IMAGE_EXTENSIONS:
            ctx.add("suspicious_image_url", f"{at} looks like a .{extension} image")
    else:
        ctx.add("invalid_image_url", f"{at} url is neither http(s) nor a data URL: {url[:40]!r}")


def _check_data_url(url: str, at: str, rules: MessageRules, ctx: LineContext) -> None:
    header, comma, payload = url.partition(",")
    if not comma or not header.endswith(";base64"):
        ctx.add("invalid_image_url", f"{at} is a data URL without ';base64,'")
        return
    media_type = header[len("data:") : -len(";base64")].lower()
    allowed = TRAINING_IMAGE_TYPES if rules.training else REQUEST_IMAGE_TYPES
    if media_type not in allowed:
        ctx.add(
            "unsupported_image_format",
            f"{at} is {media_type or 'untyped'}; allowed: {', '.join(sorted(allowed))}",
        )
    elif rules.training and len(payload) * 3 // 4 > MAX_IMAGE_BYTES:
        size_mb = len(payload) * 3 / 4 / 1024 / 1024
        ctx.add("image_too_large", f"{at} is about {size_mb:.1f} MB (limit 10 MB)")


def _check_assistant_calls(
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


def _check_tool_reply(
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
        )
