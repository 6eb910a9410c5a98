"""The schema subset checker agrees with `jsonschema` on our schemas, and refuses the unknown.

Instances are the demo documents and many one-field edits of them; each is checked against
every kind's schema (and the config schema) by both checkers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from reconciler.fastcheck.schema_subset import UnsupportedSchema, conforms
from reconciler.fastcheck.stack import load_rules

DOCUMENTS: list[dict[str, Any]] = [
    {
        "apiVersion": "reconciler/v1",
        "kind": "Dataset",
        "metadata": {"name": "train", "labels": {"team": "a"}},
        "spec": {
            "file": "t.jsonl",
            "purpose": "fine-tune",
            "format": "chat",
            "model": "gpt-4.1-mini",
            "project": "Project/core",
        },
    },
    {
        "apiVersion": "reconciler/v1",
        "kind": "Project",
        "metadata": {"name": "core", "id": "proj_1"},
        "spec": {"name": "Core"},
    },
    {"stack": "demo", "default_project": "Project/core", "cache_dir": ".cache"},
]
SUBSTITUTES: list[Any] = [
    *[None, True, False, 0, 1, -1, 1.5, "", "x", "Upper", "a" * 64, "a" * 63, "proj_x"],
    *["Project/core", "Dataset/core", "Project/Core", "fine-tune", "batch", "chat", [], ["x"]],
    *[{}, {"a": "b"}, {"a": 1}, "reconciler/v1", "reconciler/v2", "Dataset", "Project"],
]


def variants(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The document, then each field (at any depth) removed or replaced, then an extra key."""
    yield document
    for path in field_paths(document):
        parent_path, key = path[:-1], path[-1]
        removed = copy.deepcopy(document)
        del lookup(removed, parent_path)[key]
        yield removed
        for value in SUBSTITUTES:
            replaced = copy.deepcopy(document)
            lookup(replaced, parent_path)[key] = value
            yield replaced
        added = copy.deepcopy(document)
        lookup(added, parent_path)["unknown"] = "x"
        yield added


def field_paths(node: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, value in node.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from field_paths(value, (*prefix, key))


def lookup(node: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    for key in path:
        node = node[key]
    return node


def schemas() -> dict[str, dict[str, Any]]:
    rules = load_rules()
    found = {kind: entry["schema"] for kind, entry in rules["kinds"].items()}
    found["config"] = rules["config"]["schema"]
    return found


@pytest.mark.parametrize("name", list(schemas()))
def test_agrees_with_jsonschema_on_our_schemas(name: str) -> None:
    schema = schemas()[name]
    reference = jsonschema.Draft202012Validator(schema)
    checked = 0
    for document in DOCUMENTS:
        for instance in variants(document):
            assert conforms(instance, schema, schema) == reference.is_valid(instance), instance
            checked += 1
    assert checked > 500


@pytest.mark.parametrize(
    ("value", "schema", "valid"),
    [
        (True, {"type": "integer"}, False),
        (1, {"type": "boolean"}, False),
        (1.0, {"const": 1}, False),
        (1, {"enum": [True]}, False),
        ({1: "x"}, {"type": "object"}, False),
        ({"a": 1}, {"type": "object", "additionalProperties": {"type": "string"}}, False),
        ("ab", {"type": "string", "maxLength": 1}, False),
        ("x", {"anyOf": [{"type": "integer"}, {"pattern": "^x$"}]}, True),
        ("x", {"oneOf": [{"type": "string"}, {"minLength": 1}]}, False),
        ([1, "a"], {"type": "array", "items": {"type": "integer"}}, False),
        (3, {"minimum": 1, "maximum": 3, "exclusiveMaximum": 4}, True),
    ],
)
def test_types_are_strict(value: Any, schema: dict[str, Any], valid: bool) -> None:
    assert conforms(value, schema, schema) is valid


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "format": "date-time"},
        {"uniqueItems": True},
        {"patternProperties": {"^x": {}}},
        {"discriminator": {"propertyName": "type"}},
        {"$ref": "https://example.com/other.json"},
        {"type": "string", "pattern": "^x$"},  # with a newline in the value, below
    ],
)
def test_an_unknown_keyword_is_refused_not_ignored(schema: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedSchema):
        conforms("x\n", schema, schema)
