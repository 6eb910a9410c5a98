"""Request lines of a batch: read from a batch-format file or built from items and a template.

Streams: one request at a time, so a 100,000-request input never sits in memory. Template mode
renders `{{item.field}}` (dotted paths into the item) in every string of the template; a value
that is exactly one placeholder takes the item's value as it is (a list stays a list); in an
eval-format line (`{"item": {...}}`) `item` is that object. The body
keeps the template's stable fields first and the fields that hold the item last, and gets a
`prompt_cache_key` per template, so requests share a cacheable prefix.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

PLACEHOLDER = re.compile(r"\{\{\s*item((?:\.[A-Za-z0-9_\-]+)*)\s*\}\}")
CACHE_KEY_ENDPOINTS = ("/v1/responses", "/v1/chat/completions")


class TemplateError(ValueError):
    """An item the template cannot be rendered with, at its 1-based line."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}")


@dataclass(frozen=True)
class RequestLine:
    """One request of a batch, with the line of its source (input or items file)."""

    line: int
    custom_id: str
    request: dict[str, Any]


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """(1-based line, parsed value) of every non-blank line."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield number, json.loads(raw)


def file_requests(path: Path) -> Iterator[RequestLine]:
    """The requests of a batch-format file, as they are."""
    for number, request in read_jsonl(path):
        yield RequestLine(number, str(request.get("custom_id")), request)


def template_cache_key(stack: str, name: str, template: dict[str, Any]) -> str:
    digest = hashlib.sha256(canonical(template).encode()).hexdigest()[:12]
    return f"reconciler-{stack}-{name}-{digest}"


def template_requests(
    items: Path, template: dict[str, Any], endpoint: str, cache_key: str
) -> Iterator[RequestLine]:
    """One request per item of `items`, its body rendered from `template`."""
    ordered = stable_first(template)
    if endpoint in CACHE_KEY_ENDPOINTS and "prompt_cache_key" not in ordered:
        ordered = {"prompt_cache_key": cache_key, **ordered}
    seen: set[str] = set()
    for number, line in read_jsonl(items):
        item = _item_of(line)
        custom_id = custom_id_of(item, number)
        if custom_id in seen:
            raise TemplateError(number, f"custom_id '{custom_id}' is used by an earlier item")
        seen.add(custom_id)
        body = render(ordered, item, number)
        request = {"custom_id": custom_id, "method": "POST", "url": endpoint, "body": body}
        yield RequestLine(number, custom_id, request)


def _item_of(line: Any) -> Any:
    """An eval-format line's `item` object, else the line itself."""
    if isinstance(line, dict) and isinstance(line.get("item"), dict):
        return line["item"]
    return line


def stable_first(template: dict[str, Any]) -> dict[str, Any]:
    """The template's fields without a placeholder first, in their order, then the others."""
    static = {k: v for k, v in template.items() if not _has_placeholder(v)}
    dynamic = {k: v for k, v in template.items() if k not in static}
    return {**static, **dynamic}


def custom_id_of(item: Any, line: int) -> str:
    """The item's `custom_id` or `id` (a string or an integer), else `line-<n>`."""
    if isinstance(item, dict):
        for key in ("custom_id", "id"):
            value = item.get(key)
            if (isinstance(value, str) and value) or isinstance(value, int):
                return str(value)
    return f"line-{line}"


def render(value: Any, item: Any, line: int) -> Any:
    """`value` with every `{{item.path}}` replaced by the item's value at `path`."""
    if isinstance(value, dict):
        return {k: render(v, item, line) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, item, line) for v in value]
    if not isinstance(value, str):
        return value
    whole = PLACEHOLDER.fullmatch(value)
    if whole is not None:
        return _lookup(item, whole[1], line)

    def substitute(match: re.Match[str]) -> str:
        found = _lookup(item, match[1], line)
        return found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)

    return PLACEHOLDER.sub(substitute, value)


def _lookup(item: Any, path: str, line: int) -> Any:
    found = item
    for part in (p for p in path.split(".") if p):
        if not isinstance(found, dict) or part not in found:
            raise TemplateError(line, f"the item has no field 'item{path}'")
        found = found[part]
    return found


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_placeholder(v) for v in value)
    return isinstance(value, str) and PLACEHOLDER.search(value) is not None


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def write_requests(requests: Iterable[RequestLine], handle: BinaryIO) -> int:
    """Write `requests` as JSONL; the number written."""
    count = 0
    for request in requests:
        handle.write(json.dumps(request.request, ensure_ascii=False).encode() + b"\n")
        count += 1
    return count


def prefix_text(template: dict[str, Any]) -> str:
    """The text of the template's stable fields (what repeats across requests)."""
    static = {k: v for k, v in stable_first(template).items() if not _has_placeholder(v)}
    return canonical(static)
