"""The committed JSON Schemas match the models, and they accept the demo and reject typos."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from reconciler.models import KINDS, write_schemas

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"


def load_yaml_documents(path: Path) -> list[Any]:
    return list(YAML(typ="safe", pure=True).load_all(path.read_text()))


def kind_validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{kind.lower()}.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def test_committed_schemas_are_current(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)

    assert sorted(p.name for p in written) == sorted(p.name for p in SCHEMAS.glob("*.json"))
    for path in written:
        assert path.read_text() == (SCHEMAS / path.name).read_text(), (
            f"schemas/{path.name} is stale: run "
            "python -c 'from pathlib import Path; from reconciler.models import write_schemas; "
            'write_schemas(Path("schemas"))\''
        )


def test_every_kind_has_a_schema() -> None:
    assert {f"{kind.lower()}.schema.json" for kind in KINDS} <= {p.name for p in SCHEMAS.iterdir()}


@pytest.mark.parametrize("manifest", sorted((ROOT / "specs").glob("*.yaml")), ids=lambda p: p.name)
def test_demo_manifests_match_their_schema(manifest: Path) -> None:
    for document in load_yaml_documents(manifest):
        if manifest.name == "reconciler.yaml":
            schema = json.loads((SCHEMAS / "reconciler.schema.json").read_text())
            jsonschema.Draft202012Validator(schema).validate(document)
        else:
            kind_validator(document["kind"]).validate(document)


def test_schema_rejects_unknown_fields_and_bad_references() -> None:
    validator = kind_validator("Dataset")
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Dataset",
        "metadata": {"name": "train"},
        "spec": {"file": "t.jsonl", "purpose": "fine-tune", "project": "support", "fromat": "x"},
    }

    messages = sorted(error.message for error in validator.iter_errors(document))

    assert any("'fromat' was unexpected" in m for m in messages)
    assert "'support' is not valid under any of the given schemas" in messages
