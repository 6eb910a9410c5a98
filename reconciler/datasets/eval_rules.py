"""Rules for eval item files: `{"item": {...}, "sample"?: {...}}` lines, and `item_schema`.

Called by `scan.py` for the eval format. With an `item_schema` (JSON Schema, as in OpenAI's eval
`data_source_config`), every item is validated with `jsonschema`, imported only then. Tokens are
those of the item's JSON text (what a sampling prompt built from it roughly costs).
"""

from __future__ import annotations

from typing import Any

import orjson

from reconciler.datasets.formats import report_missing, report_unknown_keys
from reconciler.datasets.rulebase import CheckOptions, ChunkTally, LineContext, json_type

EVAL_KEYS = frozenset({"item", "sample"})


def check_eval(
    example: dict[str, Any], ctx: LineContext, opts: CheckOptions, tally: ChunkTally
) -> None:
    report_unknown_keys(example, EVAL_KEYS, ctx)
    item = example.get("item")
    if type(item) is not dict:
        report_missing("eval_missing_item", "item", example, ctx, "the line has ", EVAL_KEYS)
        return
    if "sample" in example and type(example["sample"]) is not dict:
        ctx.add(
            "eval_invalid_sample",
            f"sample is {json_type(example['sample'])}, not an object",
            key="sample",
        )
    if opts.item_schema is not None:
        for path, message in schema_errors(opts.item_schema, item):
            ctx.add("item_schema_violation", f"item{path}: {message}")
    tokens = ctx.counter.text(orjson.dumps(item).decode()) if ctx.counter else 0
    tally.count_example(ctx, opts, tokens)


_validators: dict[str, Any] = {}
MAX_SCHEMA_ERRORS_PER_LINE = 3


def schema_errors(schema: dict[str, Any], item: Any) -> list[tuple[str, str]]:
    """Up to 3 (json path, message) violations of `schema` by `item` (jsonschema, lazy)."""
    key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS).decode()
    validator = _validators.get(key)
    if validator is None:
        import jsonschema  # type: ignore[import-untyped]

        cls = jsonschema.validators.validator_for(schema)
        validator = _validators[key] = cls(schema)
    errors = sorted(validator.iter_errors(item), key=lambda e: [str(p) for p in e.absolute_path])
    return [
        ("".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path), e.message)
        for e in errors[:MAX_SCHEMA_ERRORS_PER_LINE]
    ]


def schema_problem(schema: Any) -> str | None:
    """Why `schema` is not a valid JSON Schema, or None when it is."""
    import jsonschema

    if not isinstance(schema, dict | bool):
        return f"it is {json_type(schema)}, not an object"
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        return str(exc.message)
    return None
