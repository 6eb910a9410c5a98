"""Read YAML files with ruamel.yaml (round-trip) into plain data plus a source map.

Called by the stack loader for every manifest file and for reconciler.yaml. Each `---` document
becomes a `YamlDocument`: plain dicts/lists/scalars (what pydantic validates) and a `SourceMap`
from key paths to 1-based file:line:col. A syntax error or duplicate key becomes a diagnostic
at ruamel's marker; the documents read before it are kept and the caller moves on.
With `subset=True` a text in the plain subset of YAML that `fastcheck.yaml_subset` reads is
read by it instead (ten times faster, same data and positions); any other text goes to ruamel.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import Diagnostics, SourceLocation
from reconciler.manifests.files import (
    MANIFEST_MAX_BYTES,
    FileProblem,
    UnreadableFileError,
    decode_text,
    find_control_character,
    read_limited_bytes,
)

FieldPath = tuple[str | int, ...]

_DOCUMENT_MARKER = re.compile(r"^---(?:[ \t]|$)")
_SYNTAX_HINTS = {
    "mapping values are not allowed here": (
        "quote a value that contains ': ', or check the indentation of this line"
    ),
    "cannot start any token": "YAML indents with spaces, never tabs",
    "found undefined alias": "define the anchor (&name) before using the alias (*name)",
}


@dataclass(frozen=True)
class NodeSpan:
    """Where one node is written: its key (in a mapping) and its value."""

    value: SourceLocation
    key: SourceLocation | None = None
    is_scalar: bool = True
    is_null: bool = False

    @property
    def anchor(self) -> SourceLocation:
        """The position to show for the node: the value for a scalar, else the key."""
        if self.is_scalar or self.key is None:
            return self.value
        return self.key

    @property
    def written_value(self) -> SourceLocation:
        """Where the value is written; a null's "value" is wherever the next token is."""
        return self.key if self.is_null and self.key is not None else self.value


@dataclass
class SourceMap:
    """Key paths of one document -> positions; lookups fall back to the closest ancestor."""

    root: SourceLocation
    spans: dict[FieldPath, NodeSpan] = field(default_factory=dict)

    def closest(self, path: FieldPath) -> tuple[FieldPath, NodeSpan | None]:
        for end in range(len(path), 0, -1):
            span = self.spans.get(path[:end])
            if span is not None:
                return path[:end], span
        return (), None

    def anchor(self, path: FieldPath) -> SourceLocation:
        span = self.closest(path)[1]
        return span.anchor if span else self.root

    def key(self, path: FieldPath) -> SourceLocation:
        span = self.closest(path)[1]
        if span is None:
            return self.root
        return span.key or span.anchor

    def value(self, path: FieldPath) -> SourceLocation:
        span = self.closest(path)[1]
        return span.written_value if span else self.root

    def anchors(self) -> dict[FieldPath, SourceLocation]:
        return {path: span.anchor for path, span in self.spans.items()}


@dataclass(frozen=True)
class YamlDocument:
    """One document of a YAML file: plain data (None for an empty document) and positions."""

    path: Path
    index: int
    data: Any
    source_map: SourceMap


@dataclass(frozen=True)
class YamlFile:
    """The documents read from one file; `complete` is False when reading stopped at an error."""

    path: Path
    documents: tuple[YamlDocument, ...]
    complete: bool


def display_path(path: Path) -> str:
    """The path as shown in diagnostics: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def read_yaml_file(path: Path, diagnostics: Diagnostics, *, subset: bool = False) -> YamlFile:
    """Parse every document of `path`; problems go to `diagnostics`. With `subset`, a text the
    strict subset reader accepts is read by it (ruamel reads the same data and positions)."""
    shown = display_path(path)
    text = _read_text(path, shown, diagnostics)
    if text is None:
        return YamlFile(path, (), complete=False)
    if subset:
        read = _read_subset(path, text, shown)
        if read is not None:
            return YamlFile(path, read, complete=True)
    documents: list[YamlDocument] = []
    starts = _document_start_lines(text)
    try:
        for index, data in enumerate(_load_all(text)):
            root = _root_location(data, shown, starts, index)
            source_map = SourceMap(root)
            plain = _to_plain(data, (), source_map, shown)
            documents.append(YamlDocument(path, index, plain, source_map))
    except Exception as error:  # ruamel raises a dozen MarkedYAMLError subclasses
        _report_yaml_error(error, shown, diagnostics)
        return YamlFile(path, tuple(documents), complete=False)
    return YamlFile(path, tuple(documents), complete=True)


def _read_subset(path: Path, text: str, shown: str) -> tuple[YamlDocument, ...] | None:
    """The documents as ruamel reads them, when the text is in the subset; else None."""
    from reconciler.fastcheck.yaml_subset import read_located_documents

    located = read_located_documents(text)
    if located is None:
        return None
    documents = []
    for index, document in enumerate(located):
        if document.data is None:
            root = _root_location(None, shown, _document_start_lines(text), index)
        else:
            root = SourceLocation(shown, *document.start)
        spans = {
            field_path: NodeSpan(
                SourceLocation(shown, *at),
                None if key is None else SourceLocation(shown, *key),
                _is_scalar(value),
                value is None,
            )
            for field_path, (key, at, value) in document.spans.items()
        }
        documents.append(YamlDocument(path, index, document.data, SourceMap(root, spans)))
    return tuple(documents)


def _read_text(path: Path, shown: str, diagnostics: Diagnostics) -> str | None:
    """The file's text when it is a regular UTF-8 file within the size limit, without the
    characters YAML refuses; else None and a diagnostic (at the line of a bad byte)."""
    try:
        text = decode_text(read_limited_bytes(path, MANIFEST_MAX_BYTES))
    except UnreadableFileError as error:
        _report_file_problem(error.problem, shown, diagnostics)
        return None
    problem = find_control_character(text)
    if problem is not None:
        _report_file_problem(problem, shown, diagnostics)
        return None
    return text


def _report_file_problem(problem: FileProblem, shown: str, diagnostics: Diagnostics) -> None:
    location = SourceLocation(shown, problem.line, problem.column)
    diagnostics.error(problem.message, location, hint=problem.hint, code="unreadable-file")


_loaders: list[Any] = []


def _load_all(text: str) -> Iterator[Any]:
    """ruamel round-trip documents; one loader is reused until a file fails half-way."""
    from ruamel.yaml.error import ReusedAnchorWarning

    if not _loaders:
        from ruamel.yaml import YAML

        from reconciler.manifests.bounded import BoundedComposer, LocatedConstructor

        yaml = YAML(typ="rt")
        yaml.Composer = BoundedComposer
        yaml.Constructor = LocatedConstructor
        _loaders.append(yaml)
    loader = _loaders[0]
    loader.composer.start_file()
    try:
        with warnings.catch_warnings():
            # a re-defined anchor is only a warning to ruamel (printed, unlocated): an error here
            warnings.simplefilter("error", ReusedAnchorWarning)
            yield from loader.load_all(text)
    except BaseException:
        _loaders.clear()  # its composer may hold anchors of the broken document
        raise


def _report_yaml_error(error: Exception, shown: str, diagnostics: Diagnostics) -> None:
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning

    from reconciler.manifests.bounded import RefusedYamlError

    if isinstance(error, RefusedYamlError):
        location = _mark_location(error.mark, shown)
        diagnostics.error(error.message, location, hint=error.hint, code=error.code)
        return
    if isinstance(error, ReusedAnchorWarning):
        _report_reused_anchor(str(error), shown, diagnostics)
        return
    if not isinstance(error, MarkedYAMLError):
        diagnostics.error(f"cannot read YAML: {error}", SourceLocation(shown))
        return
    location = _mark_location(error.problem_mark or error.context_mark, shown)
    problem = str(error.problem or error.context or "invalid YAML")
    if isinstance(error, DuplicateKeyError):
        key = re.search(r'duplicate key "(.*?)"', problem)
        name = key.group(1) if key else "?"
        diagnostics.error(
            f"duplicate key '{name}'",
            location,
            hint=f"{problem}; keys must be unique within a mapping",
            code="yaml-duplicate-key",
        )
        return
    diagnostics.error(
        f"YAML syntax error: {problem}",
        location,
        hint=_syntax_hint(problem, error),
        code="yaml-syntax",
    )


def _report_reused_anchor(text: str, shown: str, diagnostics: Diagnostics) -> None:
    """ruamel's warning names both places in words: the second is where the error is."""
    anchor = re.search(r"duplicate anchor '([^']*)'", text)
    places = re.findall(r"line (\d+), column (\d+)", text)
    line, column = (int(places[1][0]), int(places[1][1])) if len(places) > 1 else (0, 0)
    first = f" (first defined on line {places[0][0]})" if places else ""
    name = anchor.group(1) if anchor else "?"
    diagnostics.error(
        f"the anchor &{name} is defined twice{first}",
        SourceLocation(shown, line, column),
        hint="give each anchor its own name",
        code="yaml-duplicate-anchor",
    )


def _mark_location(mark: Any, shown: str) -> SourceLocation:
    """ruamel's 0-based mark as a 1-based location (the file alone when there is no mark)."""
    if mark is None:
        return SourceLocation(shown)
    return SourceLocation(shown, mark.line + 1, mark.column + 1)


def _syntax_hint(problem: str, error: Any) -> str | None:
    for fragment, hint in _SYNTAX_HINTS.items():
        if fragment in problem:
            return hint
    context_mark = getattr(error, "context_mark", None)
    if error.context and context_mark is not None:
        return f"{error.context} started at line {context_mark.line + 1}"
    return None


def _document_start_lines(text: str) -> list[int]:
    """1-based first line of each document (for empty and scalar documents, which have no lc)."""
    markers = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if _DOCUMENT_MARKER.match(line)
    ]
    head = text.splitlines()[: markers[0] - 1] if markers else text.splitlines()
    has_implicit_first = any(line.strip() and not line.lstrip().startswith("#") for line in head)
    return ([1] if has_implicit_first or not markers else []) + markers


def _root_location(data: Any, shown: str, starts: list[int], index: int) -> SourceLocation:
    lc = getattr(data, "lc", None)
    if lc is not None and lc.line is not None:
        return SourceLocation(shown, lc.line + 1, lc.col + 1)
    line = starts[index] if index < len(starts) else (starts[-1] if starts else 1)
    return SourceLocation(shown, line, 1)


def _to_plain(node: Any, path: FieldPath, source_map: SourceMap, shown: str) -> Any:
    """Copy ruamel's round-trip data into plain Python, recording positions on the way."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        mapping = {}
        for key, value in node.items():
            child = _record_key(node, key, path, source_map, shown)
            mapping[child[-1]] = _to_plain(value, child, source_map, shown)
        return mapping
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            line, column = node.lc.item(index)
            child = (*path, index)
            location = SourceLocation(shown, line + 1, column + 1)
            source_map.spans[child] = NodeSpan(location, None, _is_scalar(value), value is None)
            items.append(_to_plain(value, child, source_map, shown))
        return items
    return _plain_scalar(node)


def _record_key(
    node: Any, key: Any, path: FieldPath, source_map: SourceMap, shown: str
) -> FieldPath:
    child = (*path, _plain_scalar(key))
    try:
        key_line, key_column = node.lc.key(key)
        value_line, value_column = node.lc.value(key)
    except (KeyError, TypeError):  # keys merged in with `<<:` have no position of their own
        key_line, key_column = node.lc.line, node.lc.col
        value_line, value_column = key_line, key_column
    source_map.spans[child] = NodeSpan(
        value=SourceLocation(shown, value_line + 1, value_column + 1),
        key=SourceLocation(shown, key_line + 1, key_column + 1),
        is_scalar=_is_scalar(node[key]),
        is_null=node[key] is None,
    )
    return child


def _is_scalar(value: Any) -> bool:
    return value is not None and not isinstance(value, dict | list)


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
