"""Write `fastcheck/rules.json`: what the fast path knows about each kind, from the models.

Run `python -m reconciler.fastcheck.generate` after changing a model; a test fails while the
committed file is stale. The rules hold each kind's document schema (the same function writes
`schemas/`), its reference and file fields, and what the schema cannot say: a kind whose models
run validation code of their own is marked unsupported (the fast path then always falls back),
and a spec's cross-field `problems()` is identified by a digest of its source, so the fast
path's copy of it (`fastcheck.cross_field`) is only used while the two agree.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from reconciler.config import CONFIG_FILENAME, StackConfig
from reconciler.models import KINDS, KindInfo, Metadata, Spec
from reconciler.models.base import NAME_MAX_LENGTH, NAME_PATTERN, REFERENCE_PATTERN
from reconciler.models.schemas import config_schema, kind_schema

RULES_FILE = Path(__file__).with_name("rules.json")


def build_rules(kinds: Mapping[str, KindInfo] = KINDS) -> dict[str, Any]:
    """The rules document for `kinds` (plain JSON data)."""
    return {
        "generated_by": "python -m reconciler.fastcheck.generate (from reconciler.models.KINDS)",
        "config": {
            "file": CONFIG_FILENAME,
            "schema": config_schema(),
            "supported": not has_custom_validation(StackConfig),
            "default_cache_dir": str(StackConfig.model_fields["cache_dir"].default),
        },
        "name_pattern": NAME_PATTERN,
        "name_max_length": NAME_MAX_LENGTH,
        "reference_pattern": REFERENCE_PATTERN,
        "kinds": {kind: kind_rules(info) for kind, info in sorted(kinds.items())},
    }


def kind_rules(info: KindInfo) -> dict[str, Any]:
    return {
        "schema": kind_schema(info),
        "supported": not (
            has_custom_validation(Metadata) or has_custom_validation(info.spec_model)
        ),
        "reference_fields": {field: list(kinds) for field, kinds in info.reference_fields.items()},
        "file_fields": sorted(info.file_fields),
        "depends_on_project": info.depends_on_project,
        "cross_field_checks": cross_field_rules(info.spec_model),
    }


def has_custom_validation(model: type[BaseModel]) -> bool:
    """Whether validating `model` runs code a JSON Schema cannot describe (validators of our
    own, `model_post_init`); pydantic's own (e.g. for `Path`) accept whatever the schema does."""
    if model.model_post_init is not BaseModel.model_post_init:
        return True
    return any(
        not getattr(function, "__module__", "").startswith("pydantic")
        for function in _validator_functions(model.__pydantic_core_schema__)
    )


def _validator_functions(node: Any) -> list[Any]:
    found: list[Any] = []
    if isinstance(node, Mapping):
        if str(node.get("type", "")).startswith("function-") and "function" in node:
            function = node["function"]
            found.append(function["function"] if isinstance(function, Mapping) else function)
        for value in node.values():
            found.extend(_validator_functions(value))
    elif isinstance(node, list | tuple):
        for value in node:
            found.extend(_validator_functions(value))
    return found


def cross_field_rules(spec_model: type[Spec]) -> dict[str, Any] | None:
    """None when the spec has no `problems()`; else the digest of its source and the plain
    module-level tables it reads (so the fast copy reads the same tables)."""
    method = spec_model.problems
    if method is Spec.problems:
        return None
    source = inspect.getsource(method)
    module = vars(sys.modules[spec_model.__module__])
    tables = {
        name: module[name]
        for name in method.__code__.co_names
        if isinstance(module.get(name), dict | list | str | int)
    }
    return {"digest": hashlib.sha256(source.encode()).hexdigest()[:16], "tables": tables}


def render_rules(kinds: Mapping[str, KindInfo] = KINDS) -> str:
    return json.dumps(build_rules(kinds), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    RULES_FILE.write_text(render_rules(), encoding="utf-8")


if __name__ == "__main__":
    main()
