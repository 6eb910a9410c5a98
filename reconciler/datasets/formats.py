"""Example-level rules for each dataset format, and format detection.

`scan.py` parses each line and runs the rules of its format (chat, preference and reinforcement
here; batch in `batch_rules.py`, eval in `eval_rules.py`), which report problems and add the
example's tokens to the chunk's `ChunkTally`. `detect_format` picks a
format from the first lines when the manifest does not name one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson

from reconciler.datasets.messages import check_messages
from reconciler.datasets.problems import closest, did_you_mean
from reconciler.datasets.rulebase import (
    PREFERENCE_RULES,
    RFT_RULES,
    SFT_RULES,
    CheckOptions,
    ChunkTally,
    LineContext,
    MessagesSummary,
    json_type,
)
from reconciler.datasets.tokens import REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE, TokenCounter

FORMATS = ("chat", "preference", "reinforcement", "batch", "eval")
FORMATS_FOR_PURPOSE = {
    "fine-tune": ("chat", "preference", "reinforcement"),
    "batch": ("batch",),
    "evals": ("eval",),
}
CHAT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
PREFERENCE_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
PREFERENCE_INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})
RFT_RESERVED_KEYS = frozenset({"messages", "tools"})
MAX_IMAGES_PER_EXAMPLE = 10


def report_unknown_keys(
    example: dict[str, Any],
    allowed: frozenset[str],
    ctx: LineContext,
    code: str = "example_unrecognized_key",
    where: str = "the example",
) -> None:
    for key in example:
        if key not in allowed:
            hint = did_you_mean(key, allowed) or f"{where} takes: {', '.join(sorted(allowed))}"
            ctx.add(code, f"{where} has unrecognized key {key!r}", hint, key=key)


def report_missing(
    code: str,
    key: str,
    container: dict[str, Any],
    ctx: LineContext,
    where: str,
    allowed: frozenset[str],
) -> None:
    """A required key is absent or has the wrong type; hint at a typo'd key if there is one."""
    value = container.get(key)
    if key in container:
        state = "empty" if value in ([], {}, "") else f"{json_type(value)}"
        ctx.add(code, f"{where}{key!r} is {state}", key=key)
        return
    typo = closest(key, [k for k in container if k not in allowed])
    hint = f"rename {typo!r} to {key!r}" if typo else None
    ctx.add(code, f"{where}no {key!r}", hint, key=typo)


def check_tools(container: dict[str, Any], ctx: LineContext) -> tuple[set[str] | None, int]:
    """Top-level tools/functions of an example: (declared function names, their tokens)."""
    tools, functions = container.get("tools"), container.get("functions")
    if "parallel_tool_calls" in container and type(container["parallel_tool_calls"]) is not bool:
        ctx.add(
            "invalid_tools", "parallel_tool_calls must be true or false", key="parallel_tool_calls"
        )
    if tools is None and functions is None:
        return None, 0
    declared: set[str] = set()
    for index, tool in enumerate(tools if type(tools) is list else []):
        function = tool.get("function") if type(tool) is dict else None
        name = function.get("name") if type(function) is dict else None
        if type(tool) is not dict or tool.get("type") != "function" or type(name) is not str:
            ctx.add(
                "invalid_tools",
                f"tools[{index}] must be {{'type': 'function', 'function': {{'name': ...}}}}",
                key="tools",
            )
        else:
            declared.add(name)
    for index, function in enumerate(functions if type(functions) is list else []):
        if type(function) is not dict or type(function.get("name")) is not str:
            ctx.add("invalid_tools", f"functions[{index}] needs a 'name'", key="functions")
        else:
            declared.add(function["name"])
    for key, value in (("tools", tools), ("functions", functions)):
        if value is not None and type(value) is not list:
            ctx.add("invalid_tools", f"{key} must be a list", key=key)
    tokens = 0
    if ctx.counter is not None:
        tokens = ctx.counter.repeated(orjson.dumps([tools, functions]).decode())
    return declared, tokens


def _messages_or_report(
    container: dict[str, Any], ctx: LineContext, where: str, allowed: frozenset[str]
) -> list[Any] | None:
    messages = container.get("messages")
    if type(messages) is list and messages:
        return messages
    report_missing("missing_messages_list", "messages", container, ctx, where, allowed)
    return None


# Plain chat examples: only {"role", "content": "non-empty text"} messages. One that has a
# system (or developer), a user and an assistant message breaks no rule: the short path.
_PLAIN_ROLE_BITS = {"system": 1, "developer": 1, "user": 2, "assistant": 4}
_COMPLETE = 7


def plain_role_bits(messages: list[Any]) -> int:
    """Bits of the roles present when every message is plain, else -1."""
    seen = 0
    for message in messages:
        if type(message) is not dict or len(message) != 2:
            return -1
        role, content = message.get("role"), message.get("content")
        if type(role) is not str or type(content) is not str or not content:
            return -1
        bit = _PLAIN_ROLE_BITS.get(role)
        if bit is None:
            return -1
        seen |= bit
    return seen


def plain_tokens(messages: list[dict[str, str]], counter: TokenCounter) -> tuple[int, int]:
    """(tokens, assistant tokens) of plain messages, cookbook method without reply priming."""
    tokens = assistant = 0
    for message in messages:
        role, content = message["role"], message["content"]
        if role == "assistant":
            text = counter.text(content)
            assistant += text
        elif role == "user":
            text = counter.text(content)
        else:
            text = counter.repeated(content)
        tokens += TOKENS_PER_MESSAGE + counter.repeated(role) + text
    return tokens, assistant


def check_chat(
    example: dict[str, Any], ctx: LineContext, opts: CheckOptions, tally: ChunkTally
) -> None:
    messages = example.get("messages")
    if len(example) == 1 and type(messages) is list and plain_role_bits(messages) == _COMPLETE:
        if ctx.counter is not None:
            tokens, assistant = plain_tokens(messages, ctx.counter)
            tally.count_example(ctx, opts, tokens + REPLY_PRIMING_TOKENS, assistant)
        return
    if len(example) > 1:
        report_unknown_keys(example, CHAT_KEYS, ctx)
    messages = _messages_or_report(example, ctx, "the example has ", CHAT_KEYS)
    if messages is None:
        return
    declared, tool_tokens = check_tools(example, ctx) if len(example) > 1 else (None, 0)
    summary = check_messages(messages, SFT_RULES, ctx, declared_tools=declared)
    if not summary.has_assistant:
        ctx.add("example_missing_assistant_message", "the example has no assistant message")
    if not summary.has_system:
        ctx.add("missing_system_message", "the example has no system message")
    if not summary.has_user:
        ctx.add("missing_user_message", "the example has no user message")
    _check_image_count(summary, ctx)
    tally.count_example(
        ctx,
        opts,
        summary.tokens + REPLY_PRIMING_TOKENS + tool_tokens,
        summary.assistant_tokens,
        summary.images,
    )


def _check_image_count(summary: MessagesSummary, ctx: LineContext) -> None:
    if summary.images > MAX_IMAGES_PER_EXAMPLE:
        ctx.add(
            "too_many_images",
            f"the example has {summary.images} images (limit {MAX_IMAGES_PER_EXAMPLE})",
        )


def check_preference(
    example: dict[str, Any], ctx: LineContext, opts: CheckOptions, tally: ChunkTally
) -> None:
    report_unknown_keys(example, PREFERENCE_KEYS, ctx)
    source = example.get("input")
    prompt = MessagesSummary()
    declared: set[str] | None = None
    tool_tokens = 0
    if type(source) is not dict:
        report_missing("missing_input", "input", example, ctx, "the example has ", PREFERENCE_KEYS)
    else:
        report_unknown_keys(source, PREFERENCE_INPUT_KEYS, ctx, where="input")
        declared, tool_tokens = check_tools(source, ctx)
        messages = _messages_or_report(source, ctx, "input has ", PREFERENCE_INPUT_KEYS)
        if messages is not None:
            prompt = check_messages(messages, PREFERENCE_RULES, ctx, "input.messages", declared)
            if prompt.last_role != "user":
                ctx.add(
                    "input_last_message_not_user",
                    "input.messages ends with a "
                    f"{prompt.last_role or 'non-user'} message, not the user's",
                )
    outputs = [
        _check_output(example, key, ctx, declared)
        for key in ("preferred_output", "non_preferred_output")
    ]
    if outputs[0] is not None and outputs[1] is not None and outputs[0][1] == outputs[1][1]:
        ctx.add(
            "identical_preference_outputs",
            "preferred_output and non_preferred_output are identical",
        )
    answers = [output[0] for output in outputs if output is not None]
    _check_image_count(prompt, ctx)
    longest = max((a.tokens for a in answers), default=0)
    base = prompt.tokens + tool_tokens + REPLY_PRIMING_TOKENS
    tally.count_example(
        ctx,
        opts,
        base + sum(a.tokens for a in answers),
        sum(a.assistant_tokens for a in answers),
        prompt.images,
        base + longest,
    )


def _check_output(
    example: dict[str, Any], key: str, ctx: LineContext, declared: set[str] | None
) -> tuple[MessagesSummary, bytes] | None:
    output = example.get(key)
    if output is None:
        report_missing(
            "missing_preference_output", key, example, ctx, "the example has ", PREFERENCE_KEYS
        )
        return None
    if (
        type(output) is not list
        or len(output) != 1
        or type(output[0]) is not dict
        or output[0].get("role") != "assistant"
    ):
        ctx.add(
            "invalid_preference_output",
            f"{key} must be a list with exactly one assistant message",
            key=key,
        )
        return None
    summary = check_messages(output, PREFERENCE_RULES, ctx, key, declared)
    return summary, orjson.dumps(output[0], option=orjson.OPT_SORT_KEYS)


def check_reinforcement(
    example: dict[str, Any], ctx: LineContext, opts: CheckOptions, tally: ChunkTally
) -> None:
    messages = _messages_or_report(example, ctx, "the example has ", RFT_RESERVED_KEYS)
    if len(example.keys() - RFT_RESERVED_KEYS) == 0:
        ctx.add(
            "missing_reference_fields",
            "the example has no reference fields for the grader (only messages/tools)",
        )
    if messages is None:
        return
    declared, tool_tokens = check_tools(example, ctx)
    summary = check_messages(messages, RFT_RULES, ctx, declared_tools=declared)
    if summary.last_role != "user":
        ctx.add(
            "last_message_not_user",
            f"the last message is "
            f"{summary.last_role or 'not a user message'}; reinforcement examples end with "
            "the user's turn",
            "remove the trailing assistant/tool messages",
        )
    _check_image_count(summary, ctx)
    tally.count_example(
        ctx, opts, summary.tokens + tool_tokens + REPLY_PRIMING_TOKENS, 0, summary.images
    )


def guess_format(example: dict[str, Any]) -> str | None:
    keys = example.keys()
    if "custom_id" in keys or ("body" in keys and "url" in keys):
        return "batch"
    if "preferred_output" in keys or "non_preferred_output" in keys:
        return "preference"
    if "item" in keys:
        return "eval"
    messages = example.get("messages")
    if messages is None:
        return None
    last = messages[-1] if type(messages) is list and messages else None
    if keys - CHAT_KEYS and type(last) is dict and last.get("role") == "user":
        return "reinforcement"
    return "chat"


def detect_format(samples: Iterable[dict[str, Any]], purpose: str) -> str | None:
    """The format most of the sample lines look like; None when it cannot tell."""
    if purpose == "batch":
        return "batch"
    if purpose == "evals":
        return "eval"
    votes = Counter(guess for guess in map(guess_format, samples) if guess)
    if votes:
        return votes.most_common(1)[0][0]
    return "chat" if purpose == "fine-tune" else None
