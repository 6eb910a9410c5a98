"""Shared pieces of the line rules: where problems go and what a format allows.

`LineContext` carries the chunk's `ProblemLog`, the token counter and the current line (for
line numbers and key columns); `MessageRules` says which roles and features a format allows;
`MessagesSummary` is what `check_messages` tells the example-level rules; `CheckOptions` and
`ChunkTally` are what a worker is given and what it adds up. Used by
`messages.py`, `content_parts.py`, `tool_calls.py`, `formats.py` and `batch_rules.py`.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.datasets.locate import key_offset, parse_path
from reconciler.datasets.problems import ProblemLog
from reconciler.datasets.tokens import TokenCounter

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

    def column_of(self, key: str, at: str | None = None) -> int:
        """1-based column of `"key"` in the raw line: the key of the object at the path `at`
        (`messages[2]`) when given, else its first occurrence (0 when not found)."""
        if at is not None:
            text = self.raw.decode("utf-8", "replace")
            offset = key_offset(text, (*parse_path(at), key))
            if offset is not None:
                return offset + 1
        position = self.raw.find(b'"' + key.encode("utf-8", "replace") + b'"')
        if position < 0:
            return 0
        return len(self.raw[:position].decode("utf-8", "replace")) + 1

    def add(
        self,
        code: str,
        message: str,
        hint: str | None = None,
        key: str | None = None,
        at: str | None = None,
    ) -> None:
        """A problem of this line; `key` (of the object at the path `at`) gives its column."""
        column = self.column_of(key, at) if key else 0
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


@dataclass(frozen=True)
class CheckOptions:
    """Everything a worker needs to check lines; picklable."""

    format: str
    purpose: str
    encoding: str | None  # None: do not count tokens
    token_limit: int | None = None
    limit_code: str = "example_too_long"
    limit_model: str | None = None
    batch_url: str | None = None
    batch_model: str | None = None
    item_schema: dict[str, Any] | None = None


@dataclass
class ChunkTally:
    """Per-chunk statistics; merged in file order by `check.py`."""

    examples: int = 0
    token_examples: int = 0
    tokens_total: int = 0
    tokens_min: int | None = None
    tokens_max: int = 0
    assistant_tokens: int = 0
    billed_tokens: int = 0
    images: int = 0
    image_examples: int = 0
    embedding_inputs: int = 0
    custom_ids: list[tuple[str, int]] = field(default_factory=list)
    fingerprints: array[int] = field(default_factory=lambda: array("Q"))
    skipped_lines: array[int] = field(default_factory=lambda: array("I"))

    def count_example(
        self,
        ctx: LineContext,
        opts: CheckOptions,
        tokens: int,
        assistant_tokens: int = 0,
        images: int = 0,
        length: int | None = None,
    ) -> None:
        if images:
            self.images += images
            self.image_examples += 1
        if ctx.counter is None:
            return
        self.token_examples += 1
        self.tokens_total += tokens
        self.assistant_tokens += assistant_tokens
        if self.tokens_min is None or tokens < self.tokens_min:
            self.tokens_min = tokens
        self.tokens_max = max(self.tokens_max, tokens)
        length = tokens if length is None else length
        limit = opts.token_limit
        if limit is not None and length > limit:
            ctx.add(
                opts.limit_code,
                f"the example has {length:,} tokens, over the {limit:,}-token "
                f"limit of {opts.limit_model}",
            )
            self.billed_tokens += tokens - (length - limit)
        else:
            self.billed_tokens += tokens


ExampleCheck = Callable[[dict[str, Any], LineContext, CheckOptions, ChunkTally], None]
