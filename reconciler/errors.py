"""Error tree, source locations and collected diagnostics.

Every layer reports user-facing problems here: the manifest loader and validators collect
`Diagnostic`s (all of them, not just the first) into `Diagnostics`; providers map API errors
into `ApiError` subclasses once; `cli.py` turns any `ReconcilerError` into a message and an exit
code, never a traceback.

    ReconcilerError
    ├── UserError                 exit 1: the user can fix it (bad input, config, stale plan)
    │   ├── ManifestError         carries the collected Diagnostics
    │   ├── ConfigError           missing credentials, bad flags, bad reconciler.yaml
    │   ├── StalePlanError        a saved plan whose inputs changed
    │   └── ApplyRefusedError     confirmation refused, or no terminal and no --auto-approve
    └── ApiError                  an OpenAI API call failed (mapped in providers/)
        ├── PermanentApiError     4xx: retrying will not help
        └── TemporaryApiError     429/5xx/connection: retry after `retry_after` seconds
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
EXCERPT_LINE_BYTES = 4096
"""A source line longer than this is cut before it is decoded (excerpts show 200 characters)."""
EXCERPT_WIDTH = 200
"""The characters an excerpt shows of a longer line: a window around the column, with `…`."""


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A 1-based position in a source file (manifest, dataset JSONL, config)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.column <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the user's input, with where it is and what to do about it."""

    message: str
    location: SourceLocation | None = None
    hint: str | None = None
    severity: Severity = "error"
    code: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def render(self, *, context_lines: int = 1, sources: SourceLines | None = None) -> str:
        """Plain-text form: `file:line:col: error: message`, the source lines, then the hint.

        `sources` holds the files' lines already read (`Diagnostics.render` reads each file
        once for all its diagnostics). Control characters are shown escaped, never raw.
        """
        head = f"{self.location}: " if self.location else ""
        code = f" [{self.code}]" if self.code else ""
        parts = [printable(f"{head}{self.severity}{code}: {self.message}")]
        if self.location is not None and self.location.line > 0:
            if sources is None:
                sources = SourceLines(excerpt_lines([self], context_lines))
            parts.extend(_source_excerpt(self.location, context_lines, sources))
        if self.hint:
            parts.append(printable(f"  hint: {self.hint}"))
        return "\n".join(parts)


def excerpt_lines(diagnostics: Iterable[Diagnostic], context_lines: int) -> dict[str, set[int]]:
    """The line numbers each file must show for these diagnostics' excerpts."""
    wanted: dict[str, set[int]] = {}
    for diagnostic in diagnostics:
        location = diagnostic.location
        if location is not None and location.line > 0:
            first = max(1, location.line - context_lines)
            wanted.setdefault(location.file, set()).update(
                range(first, location.line + context_lines + 1)
            )
    return wanted


class SourceLines:
    """The wanted lines of source files, each file read once, in one pass, when first asked.

    Only regular files are read (a FIFO or device named by a location is never opened), and
    only the wanted lines are kept, so a dataset of millions of lines costs one stream.
    """

    def __init__(self, wanted: dict[str, set[int]]) -> None:
        self._wanted = wanted
        self._read: dict[str, dict[int, str]] = {}

    def lines(self, file: str) -> dict[int, str]:
        if file not in self._read:
            self._read[file] = _read_lines(file, self._wanted.get(file, set()))
        return self._read[file]


def _read_lines(file: str, wanted: set[int]) -> dict[int, str]:
    """The wanted lines of a regular file, each cut at EXCERPT_LINE_BYTES (a binary file's
    one endless "line" is never held whole)."""
    last = max(wanted, default=0)
    found: dict[int, str] = {}
    try:
        if not stat.S_ISREG(os.stat(file).st_mode):
            return found
        with os.fdopen(os.open(file, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            for number in range(1, last + 1):
                line = handle.readline(EXCERPT_LINE_BYTES)
                if not line:
                    break
                if number in wanted:
                    found[number] = _line_text(line)
                while not line.endswith(b"\n") and len(line) == EXCERPT_LINE_BYTES:
                    line = handle.readline(EXCERPT_LINE_BYTES)  # the rest of a long line
    except OSError:
        return found
    return found


def _line_text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").removesuffix("\n").removesuffix("\r")


def printable(text: str) -> str:
    """`text` with control characters (but newline and tab), bidirectional overrides and
    other invisible format characters written as escapes: a terminal shows them, never
    obeys them."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def _source_excerpt(
    location: SourceLocation, context_lines: int, sources: SourceLines
) -> list[str]:
    lines = sources.lines(location.file)
    wanted = range(max(1, location.line - context_lines), location.line + context_lines + 1)
    shown = {number: lines[number] for number in wanted if number in lines}
    out = []
    width = len(str(max(shown, default=location.line)))
    for number, text in sorted(shown.items()):
        marker = ">" if number == location.line else " "
        column = location.column if number == location.line else 0
        start, end = excerpt_window(len(text), column)
        cut_before, cut_after = ("…" if start else ""), ("…" if end < len(text) else "")
        out.append(
            f"  {marker} {number:>{width}} | {cut_before}{printable(text[start:end])}{cut_after}"
        )
        if column > 0 and (len(text) <= EXCERPT_WIDTH or column <= end):
            offset = len(cut_before) + len(printable(text[start : column - 1]))
            out.append(f"    {' ' * width} | {' ' * offset}^")
    return out


def excerpt_window(length: int, column: int) -> tuple[int, int]:
    """The part `[start, end)` of a line of `length` characters an excerpt shows: all of it when
    it fits, else EXCERPT_WIDTH characters around `column` (1-based; 0 = none, or beyond what
    was read: the start), so that the caret under the column is always visible."""
    if length <= EXCERPT_WIDTH or not 0 < column <= length:
        return 0, min(length, EXCERPT_WIDTH)
    start = max(0, min(column - 1 - EXCERPT_WIDTH // 2, length - EXCERPT_WIDTH))
    return start, start + EXCERPT_WIDTH


@dataclass
class Diagnostics:
    """An ordered collection of diagnostics; loaders add to it and keep going."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def error(
        self,
        message: str,
        location: SourceLocation | None = None,
        *,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        self.add(Diagnostic(message, location, hint, "error", code))

    def warning(
        self,
        message: str,
        location: SourceLocation | None = None,
        *,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        self.add(Diagnostic(message, location, hint, "warning", code))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if not d.is_error]

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise ManifestError(self)

    def render(self) -> str:
        ordered = sorted(self.items, key=lambda d: (d.location or SourceLocation(""), d.message))
        sources = SourceLines(excerpt_lines(ordered, 1))
        text = "\n\n".join(d.render(sources=sources) for d in ordered)
        n_err, n_warn = len(self.errors), len(self.warnings)
        return f"{text}\n\n{n_err} error(s), {n_warn} warning(s)"


class ReconcilerError(Exception):
    """Base of every error the CLI turns into a message instead of a traceback."""

    exit_code = 1


class UserError(ReconcilerError):
    """Something the user can fix: bad input, configuration, a stale plan."""


class ManifestError(UserError):
    """The manifests (or the files they name) are invalid; carries every problem found."""

    def __init__(self, diagnostics: Diagnostics) -> None:
        self.diagnostics = diagnostics
        super().__init__(diagnostics.render())


class ConfigError(UserError):
    """Missing credentials, conflicting flags, an invalid reconciler.yaml."""


class StalePlanError(UserError):
    """A saved plan whose manifests or live state changed since it was made."""


class ApplyRefusedError(UserError):
    """The user declined the plan, or there is no terminal to ask and no --auto-approve."""


class ApiError(ReconcilerError):
    """An OpenAI API call failed. Raised only by providers/, mapped from the SDK's errors."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        operation: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.operation = operation
        super().__init__(message)


class PermanentApiError(ApiError):
    """A 4xx answer: retrying the same request will not help."""


class TemporaryApiError(ApiError):
    """A 429, 5xx or connection failure: worth retrying after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
