"""A strict reader for the plain subset of YAML that manifests are usually written in.

Used by the fast path (`fastcheck.stack`) instead of ruamel.yaml, whose import alone costs
more than the whole start-up budget. It reads block mappings and sequences, one-line flow
collections, plain, single- and double-quoted (no escapes) scalars and comments, and returns
None for anything else (anchors, tags, block scalars, multi-line scalars, numbers other than
plain integers, dates, duplicate keys...), so that the caller falls back to ruamel. Whatever
it does return equals what ruamel's round-trip loader reads from the same text.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any

# Characters after which ruamel may read something else than we would (or refuse the text).
_FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")
_SEPARATOR = re.compile(r"---(?: +(?:#.*)?)?")
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_./-]*):(?: |$)")
_PLAIN = re.compile(r"[\w./@+()-]+(?: +[\w./@+()-]+)*", re.UNICODE)
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_COMMENT_REST = re.compile(r"(?: +#.*)? *")
# Plain words that some YAML resolver reads as a bool or null: never guess which.
_AMBIGUOUS_WORDS = frozenset(["true", "false", "null", "y", "n", "yes", "no", "on", "off"])
_VALUES = {"true": True, "false": False, "null": None}


class NotInSubset(Exception):
    """The text uses YAML this reader does not handle: let ruamel read it."""


class _Line:
    __slots__ = ("content", "indent", "number")

    def __init__(self, number: int, indent: int, content: str) -> None:
        self.number = number
        self.indent = indent
        self.content = content


def read_documents(text: str) -> list[Any] | None:
    """The documents of `text` as plain data, or None when the text is outside the subset."""
    try:
        return [_read_document(lines) for lines in _split_documents(text)]
    except (NotInSubset, RecursionError):
        return None


def _split_documents(text: str) -> list[list[_Line]]:
    """Content lines per document; a `---` always starts one, the first may be implicit."""
    if _FORBIDDEN.search(text):
        raise NotInSubset("control or special character")
    documents: list[list[_Line]] = []
    current: list[_Line] | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if raw.startswith(("---", "...", "%")):
            if not _SEPARATOR.fullmatch(raw):
                raise NotInSubset("directive, document end or content after ---")
            current = []
            documents.append(current)
            continue
        if current is None:
            current = []
            documents.append(current)
        current.append(_Line(number, len(raw) - len(stripped), stripped.rstrip(" ")))
    return documents


def _read_document(lines: list[_Line]) -> Any:
    if not lines:
        return None
    if lines[0].indent != 0 or not _KEY.match(lines[0].content):
        raise NotInSubset("the document is not a block mapping at column 1")
    value, end = _mapping(lines, 0, 0)
    if end != len(lines):
        raise NotInSubset("indentation this reader does not follow")
    return value


def _is_item(line: _Line) -> bool:
    return line.content == "-" or line.content.startswith("- ")


def _mapping(lines: list[_Line], start: int, indent: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    index = start
    while index < len(lines) and lines[index].indent == indent and not _is_item(lines[index]):
        match = _KEY.match(lines[index].content)
        if match is None:
            raise NotInSubset("not a `key: value` line")
        key = match.group(1)
        if key in result or key.lower() in _AMBIGUOUS_WORDS:
            raise NotInSubset("duplicate or ambiguous key")
        rest = lines[index].content[match.end() :]
        result[key], index = _mapping_value(lines, index, indent, rest)
    return result, index


def _mapping_value(lines: list[_Line], index: int, indent: int, rest: str) -> tuple[Any, int]:
    """The value after `key:`: inline on the same line, or the block under it, or null."""
    if rest.strip(" ") and not rest.lstrip(" ").startswith("#"):
        return _inline_value(lines, index, indent, rest)
    following = lines[index + 1] if index + 1 < len(lines) else None
    if following is not None and following.indent > indent:
        return _block(lines, index + 1)
    if following is not None and following.indent == indent and _is_item(following):
        return _sequence(lines, index + 1, indent)
    return None, index + 1


def _inline_value(lines: list[_Line], index: int, indent: int, text: str) -> tuple[Any, int]:
    value = read_inline(text)
    following = lines[index + 1] if index + 1 < len(lines) else None
    if following is not None and following.indent > indent:
        raise NotInSubset("a scalar continued on the next line")
    return value, index + 1


def _block(lines: list[_Line], index: int) -> tuple[Any, int]:
    line = lines[index]
    if _is_item(line):
        return _sequence(lines, index, line.indent)
    return _mapping(lines, index, line.indent)


def _sequence(lines: list[_Line], start: int, indent: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    index = start
    while index < len(lines) and lines[index].indent == indent and _is_item(lines[index]):
        rest = lines[index].content[1:]
        value = rest.lstrip(" ")
        if not value or value.startswith("#"):
            item, index = _item_block(lines, index, indent)
        elif _is_item(_Line(0, 0, value)):
            raise NotInSubset("a sequence inside a sequence item")
        elif _KEY.match(value):
            column = indent + 1 + len(rest) - len(value)
            lines[index] = _Line(lines[index].number, column, value)
            item, index = _mapping(lines, index, column)
        else:
            item, index = _inline_value(lines, index, indent, value)
        items.append(item)
    return items, index


def _item_block(lines: list[_Line], index: int, indent: int) -> tuple[Any, int]:
    """The value of a bare `-`: the block indented under it, or null."""
    following = lines[index + 1] if index + 1 < len(lines) else None
    if following is not None and following.indent > indent:
        return _block(lines, index + 1)
    return None, index + 1


def read_inline(text: str) -> Any:
    """One value written on one line, with an optional trailing comment."""
    text = text.lstrip(" ")
    value, end = _flow_value(text, 0, in_flow=False)
    if not _COMMENT_REST.fullmatch(text, end):
        raise NotInSubset("text after the value")
    return value


def _flow_value(text: str, pos: int, *, in_flow: bool) -> tuple[Any, int]:
    pos = _skip_spaces(text, pos)
    first = text[pos : pos + 1]
    if first == "{":
        return _flow_mapping(text, pos + 1)
    if first == "[":
        return _flow_sequence(text, pos + 1)
    if first == '"':
        return _double_quoted(text, pos)
    if first == "'":
        return _single_quoted(text, pos)
    match = _PLAIN.match(text, pos)
    if match is None:
        raise NotInSubset("not a plain scalar")
    end = match.end()
    if not in_flow and text[end : end + 1] not in ("", " "):
        raise NotInSubset("plain scalar followed by an indicator")
    return resolve_plain(match.group()), end


def _flow_mapping(text: str, pos: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    pos = _skip_spaces(text, pos)
    if text.startswith("}", pos):
        return result, pos + 1
    while True:
        match = _KEY.match(text, pos)
        if match is None or match.group(0)[-1:] != " ":
            raise NotInSubset("flow mapping key")
        key = match.group(1)
        if key in result or key.lower() in _AMBIGUOUS_WORDS:
            raise NotInSubset("duplicate or ambiguous key")
        result[key], pos = _flow_value(text, match.end(), in_flow=True)
        pos, closed = _flow_separator(text, pos, "}")
        if closed:
            return result, pos


def _flow_sequence(text: str, pos: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    pos = _skip_spaces(text, pos)
    if text.startswith("]", pos):
        return items, pos + 1
    while True:
        item, pos = _flow_value(text, pos, in_flow=True)
        items.append(item)
        pos, closed = _flow_separator(text, pos, "]")
        if closed:
            return items, pos


def _flow_separator(text: str, pos: int, closing: str) -> tuple[int, bool]:
    """After an entry: `,` then another entry (no trailing comma), or the closing bracket."""
    pos = _skip_spaces(text, pos)
    if text.startswith(closing, pos):
        return pos + 1, True
    if not text.startswith(",", pos):
        raise NotInSubset("flow collection not closed on its line")
    after = _skip_spaces(text, pos + 1)
    if text[after : after + 1] in ("", "]", "}", ","):
        raise NotInSubset("empty flow entry")
    return after, False


def _double_quoted(text: str, pos: int) -> tuple[str, int]:
    end = text.find('"', pos + 1)
    if end < 0 or "\\" in text[pos + 1 : end]:
        raise NotInSubset("escapes or a multi-line double-quoted string")
    return text[pos + 1 : end], end + 1


def _single_quoted(text: str, pos: int) -> tuple[str, int]:
    parts: list[str] = []
    pos += 1
    while True:
        end = text.find("'", pos)
        if end < 0:
            raise NotInSubset("multi-line single-quoted string")
        parts.append(text[pos:end])
        if not text.startswith("''", end):
            return "".join(parts), end + 1
        parts.append("'")
        pos = end + 2


def _skip_spaces(text: str, pos: int) -> int:
    while text.startswith(" ", pos):
        pos += 1
    return pos


def resolve_plain(word: str) -> Any:
    """A plain scalar's value: str, plain int, true/false/null; anything else is refused."""
    if word in _VALUES:
        return _VALUES[word]
    if word.lower() in _AMBIGUOUS_WORDS:
        raise NotInSubset("a bool or null spelled another way")
    first = word[0]
    if first.isdigit() or first == "-":
        if _INT.fullmatch(word):
            return int(word)
        raise NotInSubset("a number, date or other non-string this reader does not resolve")
    if first == "." and word[1:2] not in ("/", "."):
        raise NotInSubset("may be a float (.5, .inf, .nan)")
    if first in "@+()":
        raise NotInSubset("starts with an indicator")
    return word
