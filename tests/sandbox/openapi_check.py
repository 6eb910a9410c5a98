"""Conformance checks of sandbox responses against OpenAI's official OpenAPI document.

`tests/data/openapi.json` is the document copied verbatim (see tests/data/README.md);
`load_document` normalises its OpenAPI 3.0 leftovers so that a JSON Schema 2020-12 validator
reads it as intended.
`OpenAPIDocument.check_response(method, path, status, body)` matches a request to its operation
(method + path template; the document's paths lack the `/v1` prefix) and returns the mismatches.
The fixtures in `tests/sandbox/conftest.py` run it on every response the SDK receives.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_PATH = Path(__file__).resolve().parents[1] / "data" / "openapi.json"
DOCUMENT_URI = "urn:openai:openapi"
API_PREFIX = "/v1"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
ERROR_SCHEMA_POINTER = "/components/schemas/ErrorResponse"

Schema = dict[str, Any]


# -- normalisation of OpenAPI 3.0 leftovers ----------------------------------------------------


def normalise(document: Any) -> Any:
    """A copy of the document with 3.0 keywords rewritten as JSON Schema 2020-12 means them.

    - `nullable: true` (111 of them): the schema also accepts null, i.e. `anyOf: [it, null]`.
      When `nullable` sits in one member of an `allOf` (as in `Upload.file`), the whole `allOf`
      is what may be null.
    - boolean `exclusiveMinimum`/`exclusiveMaximum` next to `minimum`/`maximum` (7 of them):
      the numeric 2020-12 form.
    The duplicated `required` list of `ContainerResource` needs nothing: JSON parsing keeps one.
    Two inconsistencies are mended:
    - `POST /files` accepts purpose `evals` (CreateFileRequest) but `OpenAIFile.purpose` omits
      it, although the API echoes the purpose a file was uploaded with.
    - an empty page has no first or last id: the newer list schemas (projects, users, audit
      logs, checkpoints...) declare `first_id`/`last_id` string-or-null; the older ones (files,
      batches, chat completions...) say string only. All of them get string-or-null.
    - `Embedding.embedding` is also a string: with `encoding_format: "base64"` (what the SDK
      asks for by default) the API answers the vector as a base64 string of float32s, which
      the request schema offers but the response schema does not describe.
    """
    normalised = _normalise_node(copy.deepcopy(document))
    schemas = normalised["components"]["schemas"]
    file_purposes = schemas["OpenAIFile"]["properties"]["purpose"]
    if "evals" not in file_purposes["enum"]:
        file_purposes["enum"] = [*file_purposes["enum"], "evals"]
    for schema in schemas.values():
        _allow_null_page_ids(schema)
    _allow_base64_embeddings(schemas["Embedding"])
    return normalised


def _allow_base64_embeddings(schema: dict[str, Any]) -> None:
    vector = schema["properties"]["embedding"]
    if vector.get("type") == "array":
        schema["properties"]["embedding"] = {"anyOf": [vector, {"type": "string"}]}


def _allow_null_page_ids(schema: Any) -> None:
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    for name in ("first_id", "last_id"):
        prop = properties.get(name)
        if isinstance(prop, dict) and prop.get("type") == "string":
            properties[name] = _nullable({**prop, "nullable": True})


def _normalise_node(node: Any) -> Any:
    if isinstance(node, list):
        return [_normalise_node(item) for item in node]
    if not isinstance(node, dict):
        return node
    _lift_nullable_from_all_of(node)
    _fix_exclusive_bounds(node)
    result = {key: _normalise_node(value) for key, value in node.items()}
    if result.get("nullable") is True:
        return _nullable(result)
    if isinstance(result.get("nullable"), bool):
        del result["nullable"]
    return result


def _lift_nullable_from_all_of(node: dict[str, Any]) -> None:
    members = node.get("allOf")
    if not isinstance(members, list):
        return
    for member in members:
        if isinstance(member, dict) and member.get("nullable") is True:
            del member["nullable"]
            node["nullable"] = True


def _fix_exclusive_bounds(node: dict[str, Any]) -> None:
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        flag = node.get(exclusive)
        if not isinstance(flag, bool):
            continue
        if flag and bound in node:
            node[exclusive] = node.pop(bound)
        else:
            del node[exclusive]


_ANNOTATIONS = ("description", "title", "default", "example", "deprecated")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    inner = {k: v for k, v in schema.items() if k != "nullable" and k not in _ANNOTATIONS}
    outer = {k: v for k, v in schema.items() if k in _ANNOTATIONS}
    return {**outer, "anyOf": [inner, {"type": "null"}]}


# -- operations and response validation ----------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    template: str  # as in the document, e.g. /files/{file_id}
    pointer: str  # JSON pointer of the operation in the document

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}$")


def _literal_segments(template: str) -> int:
    return sum(1 for part in template.split("/") if part and not part.startswith("{"))


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class OpenAPIDocument:
    """The normalised document: operation lookup and response-body validation."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self.operations = list(self._operations())
        # Most literal segments first, so /projects/{id}/users beats /projects/{id}/{x}.
        self._matchers = sorted(
            ((template_regex(op.template), op) for op in self.operations),
            key=lambda pair: -_literal_segments(pair[1].template),
        )
        self._validators: dict[str, Draft202012Validator] = {}

    def _operations(self) -> Iterator[Operation]:
        for template, item in self.document["paths"].items():
            for method in HTTP_METHODS:
                if method in item:
                    pointer = f"/paths/{_escape_pointer(template)}/{method}"
                    yield Operation(method.upper(), template, pointer)

    def has_operation(self, method: str, template: str) -> bool:
        """Whether the document has this operation (template parameter names may differ)."""
        shape = re.sub(r"\{[^}/]+\}", "{}", template)
        return any(
            op.method == method.upper() and re.sub(r"\{[^}/]+\}", "{}", op.template) == shape
            for op in self.operations
        )

    def find_operation(self, method: str, path: str) -> Operation | None:
        """The operation serving a concrete API path (with or without the `/v1` prefix)."""
        path = path.removeprefix(API_PREFIX)
        for regex, op in self._matchers:
            if op.method == method.upper() and regex.match(path):
                return op
        return None

    def resolve(self, pointer: str) -> Any:
        node: Any = self.document
        for token in pointer.strip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node

    def validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            schema = {"$ref": f"{DOCUMENT_URI}#{pointer}"}
            self._validators[pointer] = Draft202012Validator(schema, registry=self.registry)
        return self._validators[pointer]

    def response_schema_pointer(self, op: Operation, status: int) -> str | None:
        """Where the JSON schema of this status' body is, or None when the doc lists none."""
        if status >= 400:
            return ERROR_SCHEMA_POINTER
        responses = self.resolve(op.pointer).get("responses", {})
        key = str(status) if str(status) in responses else None
        if key is None:
            return None
        content = responses[key].get("content", {})
        if "application/json" not in content or "schema" not in content["application/json"]:
            return None
        return f"{op.pointer}/responses/{key}/content/application~1json/schema"

    def check_response(
        self, method: str, path: str, status: int, body: Any, *, content_type: str = ""
    ) -> list[str]:
        """Every way this response departs from the document (empty when it conforms)."""
        op = self.find_operation(method, path)
        if op is None:
            return [f"{method} {path}: no operation of the OpenAPI document matches"]
        if status < 400 and str(status) not in self.resolve(op.pointer).get("responses", {}):
            return [f"{op}: status {status} is not a documented response"]
        if "json" not in content_type:
            if status >= 400:
                return [f"{op}: error {status} answered with {content_type!r}, not JSON"]
            return []  # raw content (file downloads) and event streams: nothing to validate
        pointer = self.response_schema_pointer(op, status)
        if pointer is None:
            return []
        errors = sorted(self.validator(pointer).iter_errors(body), key=lambda e: list(e.path))
        return [f"{op} -> {status}: {_describe(error)}" for error in errors]


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"at {where}: {error.message[:300]}"


@functools.cache
def load_document(path: Path = DOCUMENT_PATH) -> OpenAPIDocument:
    """The normalised document (parsed once per test session)."""
    with path.open(encoding="utf-8") as handle:
        raw = json.load(handle)
    return OpenAPIDocument(normalise(raw))


# -- the response hook of the conforming fixtures -----------------------------------------------


@dataclass
class ResponseChecker:
    """An httpx2 response hook: validates each /v1 response, fails the test on a mismatch."""

    document: OpenAPIDocument
    checked: list[str] = field(default_factory=list)  # "METHOD /v1/path -> status", in order

    def __call__(self, response: httpx2.Response) -> None:
        request = response.request
        path = request.url.path
        if not path.startswith("/v1/"):
            return
        self.checked.append(f"{request.method} {path} -> {response.status_code}")
        content_type = response.headers.get("content-type", "")
        if "text/event-stream" in content_type:
            return  # streamed events are checked by the SDK's own parsing
        response.read()
        body = None
        if "json" in content_type:
            try:
                body = response.json()
            except ValueError:
                pytest.fail(f"{request.method} {path}: body is not valid JSON", pytrace=False)
        problems = self.document.check_response(
            request.method, path, response.status_code, body, content_type=content_type
        )
        if problems:
            pytest.fail("response does not conform:\n  " + "\n  ".join(problems), pytrace=False)
