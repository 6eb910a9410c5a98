"""Shared shapes of every kind: Metadata, the Spec base, Resource, Reference and KindInfo.

The manifest loader (`reconciler.manifests`) validates each document's `metadata` and `spec`
against these models and builds one `Resource` per document; the graph, the planner and the
apply engine read `Resource`s and the `KindInfo` of their kind, never the raw YAML.
A kind module (`project.py`, `dataset.py`, ...) defines a `Spec` subclass and a `KindInfo`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field

from reconciler.errors import SourceLocation

API_VERSION = "reconciler/v1"

# No "--": it separates the fields of ownership filenames (reconciler--<stack>--<name>--...).
NAME_BODY = r"[a-z0-9](?:(?:-?[a-z0-9_.])*-?[a-z0-9])?"
NAME_PATTERN = rf"^{NAME_BODY}$"
NAME_MAX_LENGTH = 63
NAME_RULE = (
    "names use lowercase letters, digits, '-', '_' and '.', start and end with a letter or "
    f"digit, have no '--', and have at most {NAME_MAX_LENGTH} characters"
)
REFERENCE_PATTERN = rf"^[A-Z][A-Za-z0-9]*/{NAME_BODY}$"
_REFERENCE_RE = re.compile(REFERENCE_PATTERN)

FieldPath = tuple[str | int, ...]


class Metadata(BaseModel):
    """The manifest's own identity: never sent to the API (except as ownership tags)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        pattern=NAME_PATTERN,
        max_length=NAME_MAX_LENGTH,
        description="Unique per kind in the stack; referenced as `Kind/name`.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Free-form labels (string values)."
    )
    id: str | None = Field(
        default=None,
        min_length=1,
        description="Pins the live object's id (written by `reconciler import`).",
    )


@dataclass(frozen=True)
class SpecProblem:
    """A cross-field problem a spec reports about itself, at a path inside `spec`."""

    field: FieldPath
    message: str
    hint: str | None = None


class Spec(BaseModel):
    """Base of every kind's spec. Field names are the OpenAI API's own parameter names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def problems(self) -> Iterator[SpecProblem]:
        """Cross-field checks that a field type cannot express; none by default."""
        return iter(())


@dataclass(frozen=True)
class Reference:
    """A `Kind/name` string in a reference field: a dependency edge from its resource.

    `field` is the path inside `spec` (`("project",)`); `location` is where the value is
    written (for a stack's default project: the line in reconciler.yaml).
    """

    kind: str
    name: str
    field: FieldPath
    location: SourceLocation

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"


def parse_reference(value: str) -> tuple[str, str] | None:
    """Split `Kind/name` into its parts, or None when the text is not a reference."""
    if not _REFERENCE_RE.match(value):
        return None
    kind, _, name = value.partition("/")
    return kind, name


@dataclass(frozen=True)
class Resource:
    """One validated manifest document.

    `field_locations` maps document paths (`("spec", "file")`, `("metadata", "name")`) to
    where they are written; `location` is the document's `kind:` line; `base_dir` is the
    manifest's folder (relative paths in the spec are relative to it).
    """

    kind: str
    name: str
    metadata: Metadata
    spec: Spec
    location: SourceLocation
    base_dir: Path
    references: tuple[Reference, ...] = ()
    field_locations: Mapping[FieldPath, SourceLocation] = field(
        default_factory=lambda: MappingProxyType({})
    )

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"

    def location_of(self, *path: str | int) -> SourceLocation:
        """Where a document path is written, or its closest known ancestor."""
        for end in range(len(path), 0, -1):
            found = self.field_locations.get(path[:end])
            if found is not None:
                return found
        return self.location


@dataclass(frozen=True)
class KindInfo:
    """What the loader, graph, planner and engine need to know about one kind."""

    kind: str
    spec_model: type[Spec]
    reference_fields: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Spec field -> the kinds it may reference, e.g. `{"training_file": ("Dataset",)}`;
    `"projects[].id"` names the `id` of each item of the list `projects`."""
    replace_fields: frozenset[str] = frozenset()
    """Changing one of these forces a replace (a new live object)."""
    local_fields: frozenset[str] = frozenset()
    """Fields the reconciler uses itself (checks, cost) that no live object holds."""
    file_fields: frozenset[str] = frozenset()
    """Fields naming a local file, relative to the manifest's folder."""
    immutable: bool = False
    """Never updated in place: any change to a non-local field is a replace."""
    delete_irreversible: bool = False
    delete_verb: str = "delete"
    delete_flag: str | None = None
    """An apply flag a delete needs besides --allow-delete (`--allow-remove-users`)."""
    identity: str = "name"
    """How the live object is found, in words (shown by `show` and in plan reasons)."""
    depends_on_project: bool = False
    """Scoped to a project: its `project` reference field, else the stack's default project."""
    api_version: str = API_VERSION

    def __post_init__(self) -> None:
        frozen_references = MappingProxyType(dict(self.reference_fields))
        object.__setattr__(self, "reference_fields", frozen_references)

    def address(self, name: str) -> str:
        return f"{self.kind}/{name}"
