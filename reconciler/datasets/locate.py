"""Where a key of a nested object sits in a JSONL line, for a problem's column.

`rulebase.LineContext.add` calls `key_offset` when a rule names the object a key belongs to
(`messages[2]`): the first `"role"` of a line is messages[0]'s, not the wrong message's. Only
runs for lines with a problem; a line it cannot follow gives None (the caller falls back).
"""

from __future__ import annotations

import json
import re

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_SPACE = " \t\r\n"


def parse_path(where: str) -> tuple[str | int, ...]:
    """`body.messages[2].content[0]` as ('body', 'messages', 2, 'content', 0)."""
    return tuple(int(index) if index else name for name, index in _STEP.findall(where))


def key_offset(text: str, path: tuple[str | int, ...]) -> int | None:
    """The offset in `text` of the opening quote of the key `path[-1]` of the object at
    `path[:-1]`, or None when the line does not hold it."""
    try:
        return _Scanner(text).value(path)
    except (IndexError, ValueError, RecursionError):  # deep nesting json.loads accepted
        return None


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def value(self, path: tuple[str | int, ...]) -> int | None:
        """Follow `path` into the value at the current position (skip it when `path` is ())."""
        self._skip_space()
        first = self.text[self.pos]
        if first == "{":
            return self._object(path)
        if first == "[":
            return self._array(path)
        if first == '"':
            self._string()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}" + _SPACE:
                self.pos += 1
        return None

    def _object(self, path: tuple[str | int, ...]) -> int | None:
        self.pos += 1
        while True:
            self._skip_space()
            if self.text[self.pos] == "}":
                self.pos += 1
                return None
            start = self.pos
            key = self._string()
            self._skip_space()
            self._expect(":")
            if path and path[0] == key:
                return start if len(path) == 1 else self.value(path[1:])
            self.value(())
            if self._end_of("}"):
                return None

    def _array(self, path: tuple[str | int, ...]) -> int | None:
        self.pos += 1
        index = 0
        self._skip_space()
        if self.text[self.pos] == "]":
            self.pos += 1
            return None
        while True:
            if path and path[0] == index:
                return self.value(path[1:]) if len(path) > 1 else None
            self.value(())
            if self._end_of("]"):
                return None
            index += 1

    def _string(self) -> str:
        self._expect('"')
        start = self.pos - 1
        while self.text[self.pos] != '"':
            self.pos += 2 if self.text[self.pos] == "\\" else 1
        self.pos += 1
        decoded = json.loads(self.text[start : self.pos])
        return decoded if isinstance(decoded, str) else ""

    def _end_of(self, closing: str) -> bool:
        """After a member: True at the closing bracket (consumed), False after a comma."""
        self._skip_space()
        if self.text[self.pos] == closing:
            self.pos += 1
            return True
        self._expect(",")
        return False

    def _skip_space(self) -> None:
        while self.text[self.pos] in _SPACE:
            self.pos += 1

    def _expect(self, char: str) -> None:
        if self.text[self.pos] != char:
            raise ValueError(f"expected {char!r} at {self.pos}")
        self.pos += 1
