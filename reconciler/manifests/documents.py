"""Turn one YAML document into a typed `Resource`, reporting everything wrong with it.

Called by the stack loader for each document of each manifest file. Checks the envelope
(apiVersion, kind, metadata, spec), validates `metadata` and `spec` with pydantic, runs the
spec's own cross-field checks and reads its references (format and target kind). Problems go
to `Diagnostics`; the next document is read regardless.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reconciler.errors import Diagnostics, SourceLocation
from reconciler.manifests.problems import (
    describe_value,
    dotted,
    report_validation_error,
    suggest,
)
from reconciler.manifests.source import SourceMap, YamlDocument
from reconciler.models.base import (
    API_VERSION,
    KindInfo,
    Metadata,
    Reference,
    Resource,
    Spec,
    parse_reference,
)

ModelT = TypeVar("ModelT", bound=BaseModel)
ENVELOPE_FIELDS = ("apiVersion", "kind", "metadata", "spec")
_ENVELOPE_HINT = "a manifest is a mapping with apiVersion, kind, metadata and spec"


@dataclass(frozen=True)
class Declaration:
    """A `Kind/name` a document declares, known even when the rest of it is invalid."""

    address: str
    location: SourceLocation


@dataclass(frozen=True)
class DocumentReading:
    """The resource (None when the document has errors), what it declares and references."""

    resource: Resource | None
    declaration: Declaration | None
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class _Parts:
    """The validated pieces of one document; None where a piece is missing or invalid."""

    info: KindInfo | None
    metadata: Metadata | None
    spec: Spec | None
    references: tuple[Reference, ...]


def read_document(
    document: YamlDocument,
    kinds: Mapping[str, KindInfo],
    diagnostics: Diagnostics,
    *,
    base_dir: Path | None = None,
) -> DocumentReading:
    """Validate one document; the resource is None when anything in it is wrong.

    `base_dir` is the manifest's folder, resolved (given once per file by the stack loader)."""
    if not isinstance(document.data, dict):
        _report_not_a_mapping(document.data, document.source_map, diagnostics)
        return DocumentReading(None, None)
    errors_before = len(diagnostics.errors)
    parts = _read_parts(document.data, kinds, document.source_map, diagnostics)
    declaration = None
    if parts.info is not None and parts.metadata is not None:
        location = document.source_map.anchor(("metadata", "name"))
        declaration = Declaration(parts.info.address(parts.metadata.name), location)
    if parts.spec is not None:
        _report_spec_problems(parts.spec, document.source_map, diagnostics)
    if len(diagnostics.errors) > errors_before:
        return DocumentReading(None, declaration, parts.references)
    folder = base_dir if base_dir is not None else document.path.parent.resolve()
    resource = _make_resource(document, parts, folder)
    return DocumentReading(resource, declaration, parts.references)


def _read_parts(
    data: dict[Any, Any],
    kinds: Mapping[str, KindInfo],
    source_map: SourceMap,
    diagnostics: Diagnostics,
) -> _Parts:
    _check_envelope_keys(data, source_map, diagnostics, kinds)
    info = _read_kind(data, kinds, source_map, diagnostics)
    _check_api_version(data, info, kinds, source_map, diagnostics)
    metadata = _validate_part(data, "metadata", Metadata, source_map, diagnostics)
    if info is None:
        return _Parts(None, metadata, None, ())
    spec = _validate_part(data, "spec", info.spec_model, source_map, diagnostics)
    references = read_references(info, data.get("spec"), source_map, diagnostics)
    return _Parts(info, metadata, spec, references)


def _make_resource(document: YamlDocument, parts: _Parts, base_dir: Path) -> Resource:
    assert parts.info is not None and parts.metadata is not None and parts.spec is not None
    return Resource(
        kind=parts.info.kind,
        name=parts.metadata.name,
        metadata=parts.metadata,
        spec=parts.spec,
        location=document.source_map.key(("kind",)),
        base_dir=base_dir,
        references=parts.references,
        field_locations=MappingProxyType(document.source_map.anchors()),
    )


def read_references(
    info: KindInfo, spec: Any, source_map: SourceMap, diagnostics: Diagnostics
) -> tuple[Reference, ...]:
    """The references written in `info.reference_fields`, checked for format and target kind.

    Reads the written `spec` mapping, so a bad reference is reported even when other fields
    of the spec are invalid; values of the wrong type are left to the spec model.
    """
    references: list[Reference] = []
    for written_field, allowed in info.reference_fields.items():
        field, _, item_key = written_field.partition("[].")
        value = spec.get(field) if isinstance(spec, dict) else None
        values = list(enumerate(value)) if isinstance(value, list | tuple) else [(None, value)]
        for index, item in values:
            path: tuple[str | int, ...] = (
                ("spec", field) if index is None else ("spec", field, index)
            )
            if item_key:  # `projects[].id`: the `id` of each item of the list `projects`
                if index is None or not isinstance(item, dict):
                    continue
                item, path = item.get(item_key), (*path, item_key)
            reference = None
            if isinstance(item, str):
                reference = _read_reference(item, path, allowed, source_map, diagnostics)
            if reference is not None:
                references.append(reference)
    return tuple(references)


def _read_reference(
    text: str,
    path: tuple[str | int, ...],
    allowed: tuple[str, ...],
    source_map: SourceMap,
    diagnostics: Diagnostics,
) -> Reference | None:
    location = source_map.anchor(path)
    wanted = " or ".join(allowed)
    parsed = parse_reference(text)
    if parsed is None:
        example = f"{allowed[0]}/{text}" if "/" not in text else f"{allowed[0]}/<name>"
        diagnostics.error(
            f"{dotted(path)}: expected a reference '{allowed[0]}/<name>', got {text!r}",
            location,
            hint=f"references are written Kind/name, e.g. '{example}'",
            code="bad-reference",
        )
        return None
    kind, name = parsed
    if kind not in allowed:
        diagnostics.error(
            f"{dotted(path)}: must reference a {wanted}, not a {kind} ({text})",
            location,
            hint=f"{path[1]} accepts {wanted} references",
            code="wrong-reference-kind",
        )
        return None
    return Reference(kind, name, tuple(path[1:]), location)


def _report_not_a_mapping(data: Any, source_map: SourceMap, diagnostics: Diagnostics) -> None:
    if data is None:
        diagnostics.error(
            "empty document",
            source_map.root,
            hint="remove the extra '---', or write a manifest here",
            code="empty-document",
        )
        return
    diagnostics.error(
        f"a manifest must be a mapping, got {describe_value(data)}",
        source_map.root,
        hint=_ENVELOPE_HINT,
    )


def _check_envelope_keys(
    data: dict[Any, Any],
    source_map: SourceMap,
    diagnostics: Diagnostics,
    kinds: Mapping[str, KindInfo],
) -> None:
    for key in data:
        if key in ENVELOPE_FIELDS:
            continue
        close = suggest(str(key), ENVELOPE_FIELDS)
        diagnostics.error(
            f"unknown field '{key}'",
            source_map.key((key,)),
            hint=f"did you mean '{close}'?" if close else _ENVELOPE_HINT,
        )
    for key in ("apiVersion", "kind", "metadata", "spec"):
        if key not in data:
            hint = _ENVELOPE_HINT + (f"; known kinds: {_known(kinds)}" if key == "kind" else "")
            diagnostics.error(f"missing required field '{key}'", source_map.root, hint=hint)


def _read_kind(
    data: dict[Any, Any],
    kinds: Mapping[str, KindInfo],
    source_map: SourceMap,
    diagnostics: Diagnostics,
) -> KindInfo | None:
    if "kind" not in data:
        return None
    kind = data["kind"]
    if not isinstance(kind, str):
        diagnostics.error(
            f"kind: expected a string, got {describe_value(kind)}",
            source_map.value(("kind",)),
            hint=f"known kinds: {_known(kinds)}",
        )
        return None
    if kind in kinds:
        return kinds[kind]
    close = _closest_kind(kind, list(kinds))
    known = _known(kinds)
    diagnostics.error(
        f"unknown kind '{kind}'",
        source_map.anchor(("kind",)),
        hint=f"did you mean '{close}'? (known kinds: {known})"
        if close
        else f"known kinds: {known}",
        code="unknown-kind",
    )
    return None


def _known(kinds: Mapping[str, KindInfo]) -> str:
    return ", ".join(sorted(kinds))


def _closest_kind(kind: str, kinds: list[str]) -> str | None:
    """The kind `kind` was most likely meant to be, or None when none is close.

    Plain similarity picks 'Project' for 'ProjectUser' (a shorter name scores well against a
    longer one); a kind with as many CamelCase words, starting with the same ones, is the
    likelier intent ('ProjectMember'), so those get a bonus.
    """
    words = _camel_words(kind)
    best: tuple[float, str] | None = None
    for candidate in kinds:
        ratio = difflib.SequenceMatcher(None, kind.lower(), candidate.lower()).ratio()
        if ratio < 0.6:
            continue
        other = _camel_words(candidate)
        pairs = zip(words, other, strict=False)
        shared = sum(1 for _ in itertools.takewhile(lambda pair: pair[0] == pair[1], pairs))
        score = ratio + 0.1 * shared + (0.1 if len(words) == len(other) else 0.0)
        if best is None or score > best[0]:
            best = (score, candidate)
    return best[1] if best else None


def _camel_words(name: str) -> list[str]:
    return [word.lower() for word in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)]


def _check_api_version(
    data: dict[Any, Any],
    info: KindInfo | None,
    kinds: Mapping[str, KindInfo],
    source_map: SourceMap,
    diagnostics: Diagnostics,
) -> None:
    if "apiVersion" not in data:
        return
    version = data["apiVersion"]
    supported = [info.api_version] if info else sorted({k.api_version for k in kinds.values()})
    if version in supported:
        return
    of_kind = f" for kind {info.kind}" if info else ""
    shown = repr(version) if isinstance(version, str) else describe_value(version)
    diagnostics.error(
        f"unknown apiVersion {shown}{of_kind}",
        source_map.anchor(("apiVersion",)),
        hint=f"use apiVersion: {supported[0] if supported else API_VERSION}",
        code="unknown-api-version",
    )


def _validate_part(
    data: dict[Any, Any],
    part: str,
    model: type[ModelT],
    source_map: SourceMap,
    diagnostics: Diagnostics,
) -> ModelT | None:
    if part not in data:
        return None
    value = data[part]
    if not isinstance(value, dict):
        diagnostics.error(
            f"{part}: expected a mapping, got {describe_value(value)}",
            source_map.key((part,)),
            hint=f"{part} holds the fields of the {part} (key: value lines indented under it)",
        )
        return None
    try:
        return model.model_validate(value)
    except ValidationError as error:
        report_validation_error(
            error, prefix=(part,), model=model, source_map=source_map, diagnostics=diagnostics
        )
        return None


def _report_spec_problems(spec: Spec, source_map: SourceMap, diagnostics: Diagnostics) -> None:
    for problem in spec.problems():
        path = ("spec", *problem.field)
        diagnostics.error(
            f"{dotted(path)}: {problem.message}", source_map.anchor(path), hint=problem.hint
        )
