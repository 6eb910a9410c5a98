"""Turn pydantic validation errors into diagnostics at the right file:line:col.

The document reader validates `metadata`, `spec` and reconciler.yaml with pydantic and hands the
`ValidationError` here with the document's `SourceMap`. Each error's `loc` is mapped to the
written YAML: type errors point at the value, unknown keys at the key, missing fields at the
mapping that lacks them. Messages name the field path and say what was expected and found.
"""

from __future__ import annotations

import datetime
import difflib
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.config import DEFAULT_PROJECT_PATTERN
from reconciler.errors import Diagnostics
from reconciler.manifests.source import FieldPath, SourceMap
from reconciler.models.base import NAME_PATTERN, NAME_RULE

_EXPECTATIONS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "none_required": "null",
    "path_type": "a path",
}
_PATTERN_PROBLEMS = {
    NAME_PATTERN: ("invalid name {value!r}", NAME_RULE),
    DEFAULT_PROJECT_PATTERN: (
        "expected a reference 'Project/<name>' or a live project id 'proj_...', got {value!r}",
        None,
    ),
}


def report_validation_error(
    error: ValidationError,
    *,
    prefix: FieldPath,
    model: type[BaseModel],
    source_map: SourceMap,
    diagnostics: Diagnostics,
    root_label: str = "document",
) -> None:
    """Add one diagnostic per problem in `error` (union branches at one place are merged)."""
    label = _Labeller(root_label)
    grouped: dict[FieldPath, list[Any]] = {}
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        if item["type"] == "missing":
            _report_missing(loc, prefix, model, source_map, diagnostics, label)
        elif item["type"] == "extra_forbidden":
            _report_unknown_field(loc, prefix, model, source_map, diagnostics, label)
        elif item["type"] == "invalid_key":
            _report_invalid_key(item, prefix, source_map, diagnostics, label)
        else:
            grouped.setdefault(_data_path(loc, prefix, source_map), []).append(item)
    for path, items in grouped.items():
        message, hint = _describe_value_problem(items)
        diagnostics.error(f"{label(path)}: {message}", source_map.value(path), hint=hint)


def dotted(path: FieldPath, root_label: str = "document") -> str:
    """`("spec", "items", 0, "name")` -> `spec.items[0].name`."""
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else f".{element}"
    return text.lstrip(".") or root_label


@dataclass(frozen=True)
class _Labeller:
    root_label: str

    def __call__(self, path: FieldPath) -> str:
        return dotted(path, self.root_label)


def describe_value(value: Any) -> str:
    """How a YAML value reads in a message: `a list`, `a string ('x')`, `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f"a string ({shown!r})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, datetime.date):
        return f"a date ({value.isoformat()})"
    return f"a {type(value).__name__}"


def suggest(word: str, choices: Sequence[str]) -> str | None:
    """The closest of `choices` to `word`, if any is close enough to be a typo."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _data_path(loc: FieldPath, prefix: FieldPath, source_map: SourceMap) -> FieldPath:
    """Follow `loc` through the written data, skipping pydantic's union-branch labels."""
    path = prefix
    for element in loc:
        if (*path, element) in source_map.spans:
            path = (*path, element)
    return path


def _report_missing(
    loc: FieldPath,
    prefix: FieldPath,
    model: type[BaseModel],
    source_map: SourceMap,
    diagnostics: Diagnostics,
    label: _Labeller,
) -> None:
    parent = _data_path(loc[:-1], prefix, source_map)
    name = str(loc[-1])
    owner = _model_at(model, loc[:-1])
    field = owner.model_fields.get(name) if owner else None
    hint = f"add `{name}: ...` ({field.description})" if field and field.description else None
    diagnostics.error(
        f"{label(parent)}: missing required field '{name}'", source_map.key(parent), hint=hint
    )


def _report_unknown_field(
    loc: FieldPath,
    prefix: FieldPath,
    model: type[BaseModel],
    source_map: SourceMap,
    diagnostics: Diagnostics,
    label: _Labeller,
) -> None:
    path = _data_path(loc, prefix, source_map)
    owner = _model_at(model, loc[:-1])
    allowed = list(owner.model_fields) if owner else []
    close = suggest(str(loc[-1]), allowed)
    if close:
        hint: str | None = f"did you mean '{close}'?"
    else:
        hint = f"allowed fields: {', '.join(allowed)}" if allowed else None
    diagnostics.error(
        f"{label(path[:-1])}: unknown field '{loc[-1]}'", source_map.key(path), hint=hint
    )


def _report_invalid_key(
    item: Any,
    prefix: FieldPath,
    source_map: SourceMap,
    diagnostics: Diagnostics,
    label: _Labeller,
) -> None:
    loc = tuple(item["loc"])
    path = _data_path(loc, prefix, source_map)
    owner = path[:-1] if path[-1:] == loc[-1:] else path
    diagnostics.error(
        f"{label(owner)}: keys must be strings, got {describe_value(item['input'])}",
        source_map.key(path),
        hint="quote the key",
    )


def _describe_value_problem(items: list[Any]) -> tuple[str, str | None]:
    value = items[0]["input"]
    expected = [_expectation(item) for item in items]
    if all(expected):
        unique = list(dict.fromkeys(e for e in expected if e))
        message = f"expected {' or '.join(unique)}, got {describe_value(value)}"
        return message, _type_hint(items, value)
    return _constraint_message(items[0]), _type_hint(items, value)


def _expectation(item: Any) -> str | None:
    if item["type"] == "literal_error":
        return f"one of {item['ctx']['expected']}"
    if item["type"] == "enum":
        return f"one of {item['ctx']['expected']}"
    return _EXPECTATIONS.get(item["type"])


def _type_hint(items: list[Any], value: Any) -> str | None:
    for item in items:
        if item["type"] in ("literal_error", "enum") and isinstance(value, str):
            choices = re.findall(r"'([^']*)'", item["ctx"]["expected"])
            close = suggest(value, choices)
            if close:
                return f"did you mean '{close}'?"
        if item["type"] == "string_type" and isinstance(value, int | float | datetime.date):
            return "quote the value to keep it as text"
        if item["type"] == "string_pattern_mismatch":
            return _PATTERN_PROBLEMS.get(item["ctx"]["pattern"], ("", None))[1]
    return None


def _constraint_message(item: Any) -> str:
    kind, value, ctx = item["type"], item["input"], item.get("ctx") or {}
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERN_PROBLEMS:
        return _PATTERN_PROBLEMS[ctx["pattern"]][0].format(value=value)
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_long":
        return f"{len(value)} characters is too long (at most {ctx['max_length']})"
    message = str(item["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return re.sub(r"^Input should", "should", message)


def _model_at(model: type[BaseModel], loc: FieldPath) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc` (best effort through containers)."""
    current: Any = model
    for element in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(element))
            if field is not None:
                current = _unwrap(field.annotation)
            continue
        if typing.get_origin(current) in (list, tuple, dict, typing.Union, types.UnionType):
            current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _unwrap(annotation: Any) -> Any:
    """Reduce `X | None`, `list[X]`, `dict[str, X]` to `X` when a single model is inside."""
    arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset) and arguments:
        return arguments[0]
    if origin is dict and len(arguments) == 2:
        return arguments[1]
    if origin in (typing.Union, types.UnionType):
        models = [a for a in arguments if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if len(models) == 1 else (arguments[0] if len(arguments) == 1 else None)
    return annotation
