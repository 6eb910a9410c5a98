"""A strict reader for the plain subset of YAML that manifests are usually written in.

Used by the fast path (`fastcheck.stack`) instead of ruamel.yaml, whose import alone costs
more than the whole start-up budget, and by the manifest loader (`manifests.source`, through
`read_located_documents`) for the positions of every key and value. It reads block mappings
and sequences, one-line flow collections, plain, single- and double-quoted (no escapes)
scalars and comments, and returns None for anything else (anchors, tags, block scalars,
multi-line scalars, numbers other than short plain integers, dates, duplicate keys, files
near the loader's value or depth limits...), so that the caller falls back to ruamel.
Whatever it does return equals what ruamel's round-trip loader reads from the same text, and
the positions are those ruamel gives (tests/fastcheck/test_yaml_subset.py compares them).
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any

    FieldPath = tuple[str | int, ...]
    Position = tuple[int, int]
    Spans = dict[FieldPath, tuple[Position | None, Position, Any]]

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
# Well inside the limits of reconciler.manifests.bounded (a test compares them): a text near
# them is left to ruamel, which refuses it in its words.
MAX_VALUES = 100_000
"""Values (keys included) of one text."""
MAX_DEPTH = 32
"""Nesting depth of a value."""
MAX_INT_CHARS = 32
"""Characters of a plain integer."""


class NotInSubset(Exception):
    """The text uses YAML this reader does not handle: let ruamel read it."""


class _Line:
    __slots__ = ("content", "indent", "number")

    def __init__(self, number: int, indent: int, content: str) -> None:
        self.number = number
        self.indent = indent
        self.content = content


class LocatedDocument:
    """One document: plain data (None when empty), the 1-based position of its first line,
    and `spans`: key path -> (key position or None for an item, value position, value), as
    ruamel places them (a null mapping value is "at" the next token, a null item right after
    its `-`, or after its key's colon when a comment and a sibling key follow)."""

    __slots__ = ("data", "spans", "start")

    def __init__(self, data: Any, spans: Spans, start: Position) -> None:
        self.data = data
        self.spans = spans
        self.start = start


def read_documents(text: str) -> list[Any] | None:
    """The documents of `text` as plain data, or None when the text is outside the subset."""
    try:
        budget = [MAX_VALUES]
        return [_Reader(lines, end, None, budget).read() for lines, end in _split_documents(text)]
    except (NotInSubset, RecursionError):
        return None


def read_located_documents(text: str) -> list[LocatedDocument] | None:
    """The documents of `text` with the positions of every value, or None (outside the
    subset)."""
    located = []
    budget = [MAX_VALUES]
    try:
        for lines, end in _split_documents(text):
            spans: Spans = {}
            data = _Reader(lines, end, spans, budget).read()
            start = (lines[0].number, 1) if lines else end
            located.append(LocatedDocument(data, spans, start))
    except (NotInSubset, RecursionError):
        return None
    return located


def _split_documents(text: str) -> list[tuple[list[_Line], Position]]:
    """Content lines per document and where the document ends (the next `---`, else the end
    of the text); a `---` always starts a document, the first may be implicit."""
    if _FORBIDDEN.search(text):
        raise NotInSubset("control or special character")
    documents: list[tuple[list[_Line], Position]] = []
    current: list[_Line] | None = None
    raws = text.split("\n")
    for number, raw in enumerate(raws, start=1):
        stripped = raw.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if raw.startswith(("---", "...", "%")):
            if not _SEPARATOR.fullmatch(raw):
                raise NotInSubset("directive, document end or content after ---")
            if current is not None:
                documents[-1] = (current, (number, 1))
            current = []
            documents.append((current, (0, 0)))
            continue
        if current is None:
            current = []
            documents.append((current, (0, 0)))
        current.append(_Line(number, len(raw) - len(stripped), stripped.rstrip(" ")))
    if documents:  # the end of the text, where ruamel's reader stops
        documents[-1] = (current or [], (len(raws), len(raws[-1]) + 1))
    return documents


def _is_item(line: _Line) -> bool:
    return line.content == "-" or line.content.startswith("- ")


class _Reader:
    """One document's lines; records positions in `spans` unless it is None. `budget` holds
    the values the text may still hold (shared by its documents)."""

    __slots__ = ("budget", "end", "lines", "spans")

    def __init__(
        self, lines: list[_Line], end: Position, spans: Spans | None, budget: list[int]
    ) -> None:
        self.lines = lines
        self.end = end
        self.spans = spans
        self.budget = budget

    def read(self) -> Any:
        lines = self.lines
        if not lines:
            return None
        if lines[0].indent != 0 or not _KEY.match(lines[0].content):
            raise NotInSubset("the document is not a block mapping at column 1")
        value, end = self._mapping(0, 0, ())
        if end != len(lines):
            raise NotInSubset("indentation this reader does not follow")
        return value

    def _record(self, path: FieldPath, key: Position | None, at: Position, value: Any) -> None:
        self.budget[0] -= 1 if key is None else 2
        if len(path) > MAX_DEPTH or self.budget[0] < 0:
            raise NotInSubset("close to the loader's depth or value limit")
        if self.spans is not None:
            self.spans[path] = (key, at, value)

    def _start_of(self, index: int) -> Position:
        """Where the token on line `index` starts (the document's end past its last line)."""
        if index < len(self.lines):
            line = self.lines[index]
            return line.number, line.indent + 1
        return self.end

    def _mapping(self, start: int, indent: int, path: FieldPath) -> tuple[dict[str, Any], int]:
        lines = self.lines
        result: dict[str, Any] = {}
        index = start
        while index < len(lines) and lines[index].indent == indent and not _is_item(lines[index]):
            line = lines[index]
            match = _KEY.match(line.content)
            if match is None:
                raise NotInSubset("not a `key: value` line")
            key = match.group(1)
            if key in result or key.lower() in _AMBIGUOUS_WORDS:
                raise NotInSubset("duplicate or ambiguous key")
            child = (*path, key)
            result[key], index, value_at = self._mapping_value(index, indent, match.end(), child)
            self._record(child, (line.number, indent + 1), value_at, result[key])
        return result, index

    def _mapping_value(
        self, index: int, indent: int, after_key: int, path: FieldPath
    ) -> tuple[Any, int, Position]:
        """The value after `key:`: inline on the same line, or the block under it, or null."""
        line = self.lines[index]
        rest = line.content[after_key:]
        if rest.strip(" ") and not rest.lstrip(" ").startswith("#"):
            return self._inline_value(index, indent, line.indent + after_key, rest, path)
        following = self.lines[index + 1] if index + 1 < len(self.lines) else None
        at = self._start_of(index + 1)  # before a `- key:` line is rewritten as a mapping
        if following is not None and following.indent > indent:
            return (*self._block(index + 1, path), at)
        if following is not None and following.indent == indent and _is_item(following):
            return (*self._sequence(index + 1, indent, path), at)
        if rest.strip(" ") and following is not None and following.indent == indent:
            # ruamel leaves the line's comment on the `:` when a sibling key follows, and
            # places the null at the `:`'s end (else at the next token, which takes the comment)
            at = (line.number, line.indent + line.content.index(":") + 2)
        return None, index + 1, at

    def _inline_value(
        self, index: int, indent: int, column: int, text: str, path: FieldPath
    ) -> tuple[Any, int, Position]:
        """A value written on line `index` from 0-based `column` on (`text`), alone there."""
        number = self.lines[index].number
        value, value_at = _read_inline(text, number, column, path, self)
        following = self.lines[index + 1] if index + 1 < len(self.lines) else None
        if following is not None and following.indent > indent:
            raise NotInSubset("a scalar continued on the next line")
        return value, index + 1, value_at

    def _block(self, index: int, path: FieldPath) -> tuple[Any, int]:
        line = self.lines[index]
        if _is_item(line):
            return self._sequence(index, line.indent, path)
        return self._mapping(index, line.indent, path)

    def _sequence(self, start: int, indent: int, path: FieldPath) -> tuple[list[Any], int]:
        lines = self.lines
        items: list[Any] = []
        index = start
        while index < len(lines) and lines[index].indent == indent and _is_item(lines[index]):
            line = lines[index]
            child = (*path, len(items))
            rest = line.content[1:]
            value = rest.lstrip(" ")
            column = indent + 1 + len(rest) - len(value)
            if not value or value.startswith("#"):
                item, index, value_at = self._item_block(index, indent, child)
            elif _is_item(_Line(0, 0, value)):
                raise NotInSubset("a sequence inside a sequence item")
            elif _KEY.match(value):
                lines[index] = _Line(line.number, column, value)
                value_at = (line.number, column + 1)
                item, index = self._mapping(index, column, child)
            else:
                item, index, value_at = self._inline_value(index, indent, column, value, child)
            self._record(child, None, value_at, item)
            items.append(item)
        return items, index

    def _item_block(self, index: int, indent: int, path: FieldPath) -> tuple[Any, int, Position]:
        """The value of a bare `-`: the block indented under it, or null (right after `-`)."""
        following = self.lines[index + 1] if index + 1 < len(self.lines) else None
        if following is not None and following.indent > indent:
            at = self._start_of(index + 1)
            return (*self._block(index + 1, path), at)
        return None, index + 1, (self.lines[index].number, indent + 2)


def read_inline(text: str) -> Any:
    """One value written on one line, with an optional trailing comment."""
    return _read_inline(text, 0, 0, (), None)[0]


def _read_inline(
    text: str, line: int, column: int, path: FieldPath, reader: _Reader | None
) -> tuple[Any, Position]:
    """The value of `text` (written from 0-based `column` of `line`) and where it starts."""
    flow = _Flow(text, line, column, reader)
    start = _skip_spaces(text, 0)
    value, end = flow.value(start, path, in_flow=False)
    if not _COMMENT_REST.fullmatch(text, end):
        raise NotInSubset("text after the value")
    return value, (line, column + start + 1)


class _Flow:
    """A one-line value: plain or quoted scalar, or flow collections of them."""

    __slots__ = ("column", "line", "reader", "text")

    def __init__(self, text: str, line: int, column: int, reader: _Reader | None) -> None:
        self.text = text
        self.line = line
        self.column = column
        self.reader = reader

    def _record(self, path: FieldPath, key: int | None, at: int, value: Any) -> None:
        if self.reader is not None:
            key_at = None if key is None else (self.line, self.column + key + 1)
            self.reader._record(path, key_at, (self.line, self.column + at + 1), value)

    def value(self, pos: int, path: FieldPath, *, in_flow: bool) -> tuple[Any, int]:
        text = self.text
        pos = _skip_spaces(text, pos)
        first = text[pos : pos + 1]
        if first == "{":
            return self._mapping(pos + 1, path)
        if first == "[":
            return self._sequence(pos + 1, path)
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

    def _mapping(self, pos: int, path: FieldPath) -> tuple[dict[str, Any], int]:
        text = self.text
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
            start = _skip_spaces(text, match.end())
            result[key], pos = self.value(start, (*path, key), in_flow=True)
            self._record((*path, key), match.start(), start, result[key])
            pos, closed = _flow_separator(text, pos, "}")
            if closed:
                return result, pos

    def _sequence(self, pos: int, path: FieldPath) -> tuple[list[Any], int]:
        text = self.text
        items: list[Any] = []
        pos = _skip_spaces(text, pos)
        if text.startswith("]", pos):
            return items, pos + 1
        while True:
            child = (*path, len(items))
            start = pos
            item, pos = self.value(start, child, in_flow=True)
            self._record(child, None, start, item)
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
    """A plain scalar's value: str, short plain int, true/false/null; anything else is
    refused."""
    if word in _VALUES:
        return _VALUES[word]
    if word.lower() in _AMBIGUOUS_WORDS:
        raise NotInSubset("a bool or null spelled another way")
    first = word[0]
    if first.isdigit() or first == "-":
        if _INT.fullmatch(word) and len(word) <= MAX_INT_CHARS:
            return int(word)
        raise NotInSubset("a number, date or other non-string this reader does not resolve")
    if first == "." and word[1:2] not in ("/", "."):
        raise NotInSubset("may be a float (.5, .inf, .nan)")
    if first in "@+()":
        raise NotInSubset("starts with an indicator")
    return word
