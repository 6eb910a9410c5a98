"""JSON Schema of every kind (whole documents) and of reconciler.yaml, from the models.

Called by `reconciler.models.write_schemas` (the `schema` command, and a test that keeps the
committed `schemas/` current). Editors use the files through yaml-language-server, e.g.
`# yaml-language-server: $schema=../schemas/dataset.schema.json` at the top of a manifest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from reconciler.models.base import NAME_BODY, KindInfo, Metadata

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
CONFIG_SCHEMA_NAME = "reconciler.schema.json"


def schema_file_name(kind: str) -> str:
    return f"{kind.lower()}.schema.json"


def kind_schema(info: KindInfo) -> dict[str, Any]:
    """The schema of a whole manifest document of this kind."""
    refs, top = models_json_schema(
        [(Metadata, "validation"), (info.spec_model, "validation")],
        ref_template="#/$defs/{model}",
    )
    definitions = top["$defs"]
    _mark_references(definitions[info.spec_model.__name__], info, definitions)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": info.kind,
        "description": (info.spec_model.__doc__ or "").strip(),
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": info.api_version},
            "kind": {"const": info.kind},
            "metadata": refs[(Metadata, "validation")],
            "spec": refs[(info.spec_model, "validation")],
        },
        "$defs": definitions,
    }


def config_schema() -> dict[str, Any]:
    from reconciler.config import StackConfig

    schema = StackConfig.model_json_schema()
    return {"$schema": SCHEMA_DIALECT, **schema}


def write_schemas(directory: Path, kinds: Mapping[str, KindInfo]) -> list[Path]:
    """Write one file per kind plus the config's; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    documents = {schema_file_name(kind): kind_schema(info) for kind, info in kinds.items()}
    documents[CONFIG_SCHEMA_NAME] = config_schema()
    written = []
    for name, schema in sorted(documents.items()):
        path = directory / name
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _mark_references(
    spec_schema: dict[str, Any], info: KindInfo, definitions: dict[str, Any]
) -> None:
    """Reference fields are plain strings in the model; say what they must look like."""
    for written, kinds in info.reference_fields.items():
        field, _, item_key = written.partition("[].")
        prop = spec_schema["properties"][field]
        if item_key:  # `projects[].id`: the `id` of each item of the list `projects`
            items = prop["items"]
            ref = items.get("$ref", "")
            items = definitions[ref.rpartition("/")[2]] if ref else items
            prop = items["properties"][item_key]
        target = next((s for s in prop.get("anyOf", []) if s.get("type") == "string"), prop)
        target["pattern"] = rf"^(?:{'|'.join(kinds)})/{NAME_BODY}$"
        target["x-reference-kinds"] = list(kinds)
