"""The items of an eval run: read from a JSONL file or the manifest, checked, rendered.

`validation.py` calls `schema_problems` (every item against the Eval's `item_schema`, with its
line); the EvalRun planner calls `read_items` and `render_messages` to count the requests and
tokens; the provider renders the same messages to send them. Files are streamed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.evals.templates import fill_value


@dataclass(frozen=True)
class Item:
    """One item: its 1-based position (a line of the file, or an index of `content`)."""

    line: int
    data: Any


def read_items(path: Path) -> Iterator[Item]:
    """Every non-blank line's item: `{"item": {...}}` (OpenAI's eval format) or the object."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield Item(number, item_of(json.loads(raw)))


def item_of(line: Any) -> Any:
    if isinstance(line, dict) and isinstance(line.get("item"), dict):
        return line["item"]
    return line


def schema_problems(items: Iterable[Item], schema: Mapping[str, Any]) -> Iterator[tuple[int, str]]:
    """(line, why) for each item that breaks `schema` (the first problem of each)."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped,import-not-found,unused-ignore]

    validator = Draft202012Validator(schema)
    for item in items:
        error = next(iter(validator.iter_errors(item.data)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path)
            yield item.line, (f"at {where}: " if where else "") + error.message


def render_messages(template: Sequence[Mapping[str, Any]], item: Any) -> list[dict[str, Any]]:
    """The template's messages with `{{item.*}}` filled (role, content; type dropped)."""
    return [
        {"role": message["role"], "content": fill_value(message["content"], item)}
        for message in template
    ]
