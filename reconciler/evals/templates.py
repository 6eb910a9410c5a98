"""Template strings of OpenAI's evals: `{{item.field}}` and `{{sample.output_text}}`.

`models/eval.py` and `validation.py` call `variables` to check what a grader or an input
template reads (against the Eval's `item_schema` and the sample namespace); the EvalRun
provider and `graders` call `fill` with an item and a sample. A value that is exactly one
placeholder keeps its type in `fill_value` (a list stays a list), as the Batch templates do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_\-]+)*)\s*\}\}")
NAMESPACES = ("item", "sample")
SAMPLE_FIELDS = (
    "output_text",
    "output_json",
    "output_tools",
    "output_reasoning_summary",
    "choices",
)
"""The sample namespace of OpenAI's evals (what a run's sampling fills)."""


class TemplateError(ValueError):
    """A variable the item or the sample does not have."""


@dataclass(frozen=True)
class Variable:
    """One `{{namespace.path}}` in a template: `path` is the dotted fields after the namespace."""

    namespace: str
    path: tuple[str, ...]

    @property
    def text(self) -> str:
        return ".".join((self.namespace, *self.path))


def variables(value: Any) -> Iterator[tuple[tuple[str | int, ...], Variable]]:
    """Every variable in `value` (strings in nested dicts and lists), with its path."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            for path, variable in variables(inner):
                yield (str(key), *path), variable
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            for path, variable in variables(inner):
                yield (index, *path), variable
    elif isinstance(value, str):
        for match in PLACEHOLDER.finditer(value):
            parts = tuple(p for p in match[2].split(".") if p)
            yield (), Variable(match[1], parts)


def unknown_variable(
    variable: Variable, item_schema: Mapping[str, Any], *, sample_allowed: bool
) -> str | None:
    """Why `variable` names nothing an item or a sample has, or None when it is known."""
    if variable.namespace == "sample":
        if not sample_allowed:
            return "the sample namespace is empty: set include_sample_schema: true"
        if not variable.path or variable.path[0] not in SAMPLE_FIELDS:
            return f"the sample has {', '.join(SAMPLE_FIELDS)}"
        return None
    if variable.namespace != "item":
        return f"unknown namespace '{variable.namespace}': use item or sample"
    schema: Any = item_schema
    for part in variable.path:
        properties = schema.get("properties") if isinstance(schema, Mapping) else None
        if not isinstance(properties, Mapping):
            return None  # the schema does not say which fields exist below here
        if part not in properties:
            known = ", ".join(sorted(properties)) or "no field"
            return f"item_schema has {known}"
        schema = properties[part]
    return None


def fill(text: str, item: Any, sample: Mapping[str, Any] | None = None) -> str:
    """`text` with every variable replaced (non-strings as JSON)."""

    def substitute(match: re.Match[str]) -> str:
        found = _lookup(match, item, sample)
        return found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)

    return PLACEHOLDER.sub(substitute, text)


def fill_value(value: Any, item: Any, sample: Mapping[str, Any] | None = None) -> Any:
    """`value` (nested dicts and lists) with every string filled."""
    if isinstance(value, Mapping):
        return {k: fill_value(v, item, sample) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill_value(v, item, sample) for v in value]
    if not isinstance(value, str):
        return value
    whole = PLACEHOLDER.fullmatch(value)
    if whole is not None:
        return _lookup(whole, item, sample)
    return fill(value, item, sample)


def _lookup(match: re.Match[str], item: Any, sample: Mapping[str, Any] | None) -> Any:
    namespace = match[1]
    found: Any = item if namespace == "item" else sample if namespace == "sample" else None
    if found is None:
        raise TemplateError(f"nothing fills {match[0]}")
    for part in (p for p in match[2].split(".") if p):
        if not isinstance(found, Mapping) or part not in found:
            raise TemplateError(f"the {namespace} has no field '{namespace}{match[2]}'")
        found = found[part]
    return found
