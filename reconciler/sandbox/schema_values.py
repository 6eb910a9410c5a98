"""Fill a JSON schema with a deterministic value: the stand-in model's structured outputs.

`standin.generate` uses `value_for_schema` for `text.format` / `response_format` json_schema
requests and for function-call arguments. It handles the common subset (objects, arrays, enums,
consts, `$ref` into `$defs`, `anyOf`/`oneOf`, string formats); strings come from the answer text.
"""

from __future__ import annotations

import random
from typing import Any


def value_for_schema(schema: Any, text: str, words: list[str], seed: int) -> Any:
    """A value valid against `schema`; free-text fields get `text`, others one of `words`."""
    builder = _SchemaValueBuilder(schema if isinstance(schema, dict) else {}, text, words, seed)
    return builder.value()


class _SchemaValueBuilder:
    """Walks a JSON schema (objects, arrays, enums, $ref, anyOf) and fills it in."""

    def __init__(self, root: dict[str, Any], text: str, words: list[str], seed: int) -> None:
        self.root = root
        self.text = text
        self.words = words or ["sample"]
        self.rng = random.Random(seed)

    def value(self) -> Any:
        return self._build(self.root, "", 0)

    def _build(self, schema: Any, name: str, depth: int) -> Any:
        if not isinstance(schema, dict) or depth > 8:
            return None
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.rng.choice(schema["enum"])
        for key in ("anyOf", "oneOf", "allOf"):
            options = [o for o in schema.get(key, []) if self._resolve(o).get("type") != "null"]
            if options:
                return self._build(options[0], name, depth + 1)
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return self._by_type(str(kind), schema, name, depth)

    def _by_type(self, kind: str, schema: dict[str, Any], name: str, depth: int) -> Any:
        if kind == "object":
            properties = schema.get("properties", {})
            return {key: self._build(sub, key, depth + 1) for key, sub in properties.items()}
        if kind == "array":
            count = max(int(schema.get("minItems", 1)), 1)
            count = min(count, int(schema.get("maxItems", count)))
            items = schema.get("items", {})
            return [self._build(items, name, depth + 1) for _ in range(count)]
        if kind == "integer":
            low, high = int(schema.get("minimum", 0)), int(schema.get("maximum", 10))
            return self.rng.randint(low, max(low, high))
        if kind == "number":
            bottom, top = float(schema.get("minimum", 0)), float(schema.get("maximum", 1))
            return round(self.rng.uniform(bottom, max(bottom, top)), 2)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema, name)

    def _string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        if fmt == "date":
            return "2026-01-01"
        if fmt == "date-time":
            return "2026-01-01T00:00:00Z"
        if fmt == "email":
            return "user@example.com"
        if any(hint in name.lower() for hint in ("answer", "reply", "text", "summary", "reason")):
            return self.text
        return self.rng.choice(self.words)

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target: Any = self.root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return target if isinstance(target, dict) else {}
