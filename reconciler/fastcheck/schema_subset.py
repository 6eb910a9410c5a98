"""A tiny JSON Schema checker for the keywords our generated schemas use.

The fast path (`fastcheck.stack`) checks each document against its kind's schema (generated
from the pydantic models, see `fastcheck.rules`). It answers only "clearly valid or not": a
keyword it does not know raises `UnsupportedSchema`, which sends the caller to the slow path.
Types are strict (a bool is not an integer, a key must be a string).
"""

from __future__ import annotations

import re
from functools import cache

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Schema = dict[str, Any]

# Keywords that only describe: they never make a value invalid.
_ANNOTATIONS = frozenset(
    {"$schema", "$comment", "title", "description", "default", "examples", "x-reference-kinds"}
)
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "object": (dict,),
    "array": (list,),
}
# `format` values pydantic accepts for any string (Path fields).
_ANY_STRING_FORMATS = frozenset({"path"})


class UnsupportedSchema(Exception):
    """The schema uses a keyword or value this checker does not implement."""


def conforms(value: Any, schema: Schema | bool, root: Schema) -> bool:
    """Whether `value` is valid against `schema` (`root` holds the `$defs` for `$ref`)."""
    if isinstance(schema, bool):
        return schema
    for keyword, argument in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        check = _KEYWORDS.get(keyword)
        if check is None:
            raise UnsupportedSchema(keyword)
        if not check(value, argument, schema, root):
            return False
    return True


def _ref(value: Any, target: str, schema: Schema, root: Schema) -> bool:
    prefix = "#/$defs/"
    if not target.startswith(prefix) or target[len(prefix) :] not in root.get("$defs", {}):
        raise UnsupportedSchema(f"$ref {target}")
    return conforms(value, root["$defs"][target[len(prefix) :]], root)


def _type(value: Any, expected: str | list[str], schema: Schema, root: Schema) -> bool:
    names = [expected] if isinstance(expected, str) else expected
    return any(_has_type(value, name) for name in names)


def _has_type(value: Any, name: str) -> bool:
    if name not in _TYPES:
        raise UnsupportedSchema(f"type {name}")
    if name == "object" and type(value) is dict:
        return all(type(key) is str for key in value)
    return type(value) in _TYPES[name]


def _same(left: Any, right: Any) -> bool:
    """Equality without Python's 1 == True == 1.0."""
    if isinstance(right, dict | list):
        raise UnsupportedSchema("const or enum of a collection")
    return type(left) is type(right) and left == right


def _const(value: Any, expected: Any, schema: Schema, root: Schema) -> bool:
    return _same(value, expected)


def _enum(value: Any, choices: list[Any], schema: Schema, root: Schema) -> bool:
    return any(_same(value, choice) for choice in choices)


def _min_length(value: Any, limit: int, schema: Schema, root: Schema) -> bool:
    return type(value) is not str or len(value) >= limit


def _max_length(value: Any, limit: int, schema: Schema, root: Schema) -> bool:
    return type(value) is not str or len(value) <= limit


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise UnsupportedSchema(f"pattern {pattern}") from error


def _pattern(value: Any, pattern: str, schema: Schema, root: Schema) -> bool:
    if type(value) is not str:
        return True
    if "\n" in value or "\r" in value:
        raise UnsupportedSchema("`$` differs between Python and pydantic's regex engine")
    return _compiled(pattern).search(value) is not None


def _format(value: Any, name: str, schema: Schema, root: Schema) -> bool:
    if name not in _ANY_STRING_FORMATS:
        raise UnsupportedSchema(f"format {name}")
    return True


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _minimum(value: Any, limit: float, schema: Schema, root: Schema) -> bool:
    return not _is_number(value) or value >= limit


def _maximum(value: Any, limit: float, schema: Schema, root: Schema) -> bool:
    return not _is_number(value) or value <= limit


def _exclusive_minimum(value: Any, limit: float, schema: Schema, root: Schema) -> bool:
    return not _is_number(value) or value > limit


def _exclusive_maximum(value: Any, limit: float, schema: Schema, root: Schema) -> bool:
    return not _is_number(value) or value < limit


def _properties(value: Any, properties: dict[str, Schema], schema: Schema, root: Schema) -> bool:
    if type(value) is not dict:
        return True
    return all(
        conforms(item, properties[key], root) for key, item in value.items() if key in properties
    )


def _required(value: Any, names: list[str], schema: Schema, root: Schema) -> bool:
    return type(value) is not dict or all(name in value for name in names)


def _additional(value: Any, extra: Schema | bool, schema: Schema, root: Schema) -> bool:
    if type(value) is not dict:
        return True
    if any(type(key) is not str for key in value):
        return False
    known = schema.get("properties", {})
    return all(conforms(item, extra, root) for key, item in value.items() if key not in known)


def _items(value: Any, items: Schema | bool, schema: Schema, root: Schema) -> bool:
    return type(value) is not list or all(conforms(item, items, root) for item in value)


def _min_items(value: Any, limit: int, schema: Schema, root: Schema) -> bool:
    return type(value) is not list or len(value) >= limit


def _max_items(value: Any, limit: int, schema: Schema, root: Schema) -> bool:
    return type(value) is not list or len(value) <= limit


def _any_of(value: Any, options: list[Schema], schema: Schema, root: Schema) -> bool:
    return any(conforms(value, option, root) for option in options)


def _one_of(value: Any, options: list[Schema], schema: Schema, root: Schema) -> bool:
    return sum(conforms(value, option, root) for option in options) == 1


def _all_of(value: Any, options: list[Schema], schema: Schema, root: Schema) -> bool:
    return all(conforms(value, option, root) for option in options)


def _defs(value: Any, definitions: Any, schema: Schema, root: Schema) -> bool:
    return True  # only read through $ref


_KEYWORDS: dict[str, Callable[[Any, Any, Schema, Schema], bool]] = {
    "$ref": _ref,
    "$defs": _defs,
    "type": _type,
    "const": _const,
    "enum": _enum,
    "minLength": _min_length,
    "maxLength": _max_length,
    "pattern": _pattern,
    "format": _format,
    "minimum": _minimum,
    "maximum": _maximum,
    "exclusiveMinimum": _exclusive_minimum,
    "exclusiveMaximum": _exclusive_maximum,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional,
    "items": _items,
    "minItems": _min_items,
    "maxItems": _max_items,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "allOf": _all_of,
}
