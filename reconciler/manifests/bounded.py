"""A ruamel.yaml composer that refuses hostile YAML before anything is built from it.

Installed on the loader by `source.py`. While the parser's events are turned into nodes it
counts the values each file expands to (an alias `*a` counts everything its anchor holds, so
"billion laughs" stops after MAX_VALUES instead of filling memory), bounds the nesting depth,
refuses every explicit tag (`!!binary`, `!!python/object`, `!foo`: manifests hold plain
values) and numbers too long to convert; the constructor turns a value Python cannot convert
(a date like 2024-13-45) into the same error. Each refusal is a `RefusedYamlError`, located.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.events import AliasEvent, ScalarEvent
from ruamel.yaml.nodes import ScalarNode

MAX_VALUES = 200_000
"""Values (mappings, sequences, scalars, keys) one file may expand to, aliases included."""
MAX_DEPTH = 64
"""Nesting depth of collections in one document."""
MAX_NUMBER_CHARS = 64
"""Characters of a plain scalar read as a number."""
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_WHAT_TAG_READS = {"timestamp": "a date or time", "int": "a number", "float": "a number"}


class RefusedYamlError(Exception):
    """YAML the reader refuses; `mark` is ruamel's 0-based position of the offending event."""

    def __init__(self, message: str, mark: Any, *, hint: str, code: str) -> None:
        self.message = message
        self.mark = mark
        self.hint = hint
        self.code = code
        super().__init__(message)


class BoundedComposer(Composer):
    """ruamel's composer with a budget of values per file, a depth bound and no tags."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader=loader)
        self.start_file()

    def start_file(self) -> None:
        """A fresh budget: called before each file is read."""
        self.values = 0
        self.nesting = 0
        self.sizes: dict[int, tuple[Any, int]] = {}

    def compose_document(self) -> Any:
        self.sizes = {}  # anchors do not cross documents
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            self._spend(self.sizes.get(id(node), (None, 1))[1], event, alias=event.anchor)
            return node
        _refuse_tag(event)
        self._enter(event)
        before = self.values
        node = super().compose_node(parent, index)
        self.nesting -= 1
        self._spend(1, event)
        if node.anchor is not None:
            self.sizes[id(node)] = (node, self.values - before)
        if isinstance(node, ScalarNode):
            _refuse_long_number(node, event)
        return node

    def _enter(self, event: Any) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise RefusedYamlError(
                f"nested more than {MAX_DEPTH} levels deep",
                event.start_mark,
                hint="a manifest nests a few levels; check the brackets and the indentation",
                code="yaml-too-deep",
            )

    def _spend(self, count: int, event: Any, *, alias: str | None = None) -> None:
        self.values += count
        if self.values <= MAX_VALUES:
            return
        if alias is not None:
            message = (
                f"the alias *{alias} makes this file expand to more than {MAX_VALUES:,} values"
            )
            hint = "each alias repeats everything its anchor holds; write the values out instead"
        else:
            message = f"this file holds more than {MAX_VALUES:,} values"
            hint = "split the manifests into several files"
        raise RefusedYamlError(message, event.start_mark, hint=hint, code="yaml-too-large")


def _refuse_tag(event: Any) -> None:
    tag = getattr(event, "ctag", None)
    if tag is None:
        return
    written = f"{getattr(tag, 'handle', None) or ''}{getattr(tag, 'suffix', None) or ''}"
    raise RefusedYamlError(
        f"YAML tag '{written or tag}' is not allowed",
        event.start_mark,
        hint="manifests hold plain values (strings, numbers, true/false, lists, mappings): "
        "remove the tag, and quote the value if it is text",
        code="yaml-tag",
    )


def _refuse_long_number(node: Any, event: Any) -> None:
    if not isinstance(event, ScalarEvent) or event.style is not None:
        return
    if str(node.tag) in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
        raise RefusedYamlError(
            f"number too long: {len(node.value):,} characters",
            event.start_mark,
            hint=f"numbers have at most {MAX_NUMBER_CHARS} characters; quote the value if it "
            "is text",
            code="yaml-number-too-long",
        )


class LocatedConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor; a value Python cannot convert (a date such as
    2024-13-45 reads as a timestamp) becomes a `RefusedYamlError` at the value, in our words."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as error:
            suffix = str(node.tag).rpartition(":")[2]
            what = _WHAT_TAG_READS.get(suffix, "a value")
            raise RefusedYamlError(
                f"cannot read {str(node.value)[:80]!r} as {what} ({error})",
                node.start_mark,
                hint="quote the value if it is text",
                code="yaml-invalid-value",
            ) from None
