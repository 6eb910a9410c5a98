"""Assemble a `Stack` from a folder of manifests: every file, every document, every check.

`load_stack` is what `validate`, `plan` and `apply` start with. It reads reconciler.yaml and
every manifest, validates each document, then checks the stack as a whole (duplicate names,
the default project, dangling references, dependency cycles) and raises `ManifestError` with
all problems at once. `read_stack` does the same without raising, for callers that want to
keep checking what is valid (`reconciler.validation`). Nothing here touches the network.
Files in the plain subset of YAML are read by the fast subset reader (same data and
positions); when the stack has any error it is read again with ruamel alone, so that every
diagnostic is the one ruamel's reading gives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from reconciler.config import StackConfig
from reconciler.errors import Diagnostic, Diagnostics, SourceLocation
from reconciler.graph import DependencyGraph
from reconciler.manifests.config_file import ConfigReading, read_config
from reconciler.manifests.discovery import find_manifest_files, stack_root
from reconciler.manifests.documents import Declaration, read_document
from reconciler.manifests.problems import dotted, suggest
from reconciler.manifests.source import display_path, read_yaml_file
from reconciler.models.base import KindInfo, Reference, Resource


@dataclass(frozen=True)
class Stack:
    """A valid set of manifests: the desired state the planner compares with the live one.

    `resources` is keyed by address (`Project/support`) in sorted order. Resources of
    project-scoped kinds that name no project carry the stack's default project (when it is a
    `Project/name`) as a reference located in reconciler.yaml.
    """

    name: str
    root: Path
    config: StackConfig
    config_location: SourceLocation | None
    resources: Mapping[str, Resource]
    warnings: tuple[Diagnostic, ...] = ()

    def of_kind(self, kind: str) -> list[Resource]:
        return [resource for resource in self.resources.values() if resource.kind == kind]

    def resolve_path(self, path: Path) -> Path:
        """A path from reconciler.yaml, relative to the stack root."""
        return path if path.is_absolute() else self.root / path

    @property
    def cache_dir(self) -> Path:
        return self.resolve_path(self.config.cache_dir)


@dataclass(frozen=True)
class StackReading:
    """Everything `read_stack` found: the stack (None if unusable) and all diagnostics.

    `resources` holds every valid resource, also when other documents had errors.
    """

    stack: Stack | None
    resources: tuple[Resource, ...]
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def load_stack(
    path: Path, *, stack_name: str | None = None, kinds: Mapping[str, KindInfo] | None = None
) -> Stack:
    """Read and check the stack under `path`; raise ManifestError listing every problem."""
    reading = read_stack(path, stack_name=stack_name, kinds=kinds)
    reading.diagnostics.raise_if_errors()
    assert reading.stack is not None  # no errors means the config was usable
    return reading.stack


def read_stack(
    path: Path,
    *,
    stack_name: str | None = None,
    kinds: Mapping[str, KindInfo] | None = None,
    subset: bool = True,
) -> StackReading:
    """Like `load_stack`, but return the diagnostics instead of raising.

    `subset=False` reads every file with ruamel (the reference the fast reading must equal)."""
    from reconciler.models import KINDS

    kinds = KINDS if kinds is None else kinds
    reading = _read_stack(Path(path).absolute(), stack_name, kinds, subset=subset)
    if subset and reading.diagnostics.has_errors:
        return _read_stack(Path(path).absolute(), stack_name, kinds, subset=False)
    return reading


def _read_stack(
    path: Path, stack_name: str | None, kinds: Mapping[str, KindInfo], *, subset: bool
) -> StackReading:
    diagnostics = Diagnostics()
    files = find_manifest_files(path, diagnostics)
    root = stack_root(path)
    config = read_config(root, stack_name, diagnostics, subset=subset) if path.exists() else None
    documents = _read_manifests(files, kinds, diagnostics, subset=subset)
    resources = _without_duplicates(documents.resources, documents.declarations, diagnostics)
    declared = {declaration.address for declaration in documents.declarations}
    if config is not None:
        resources = _with_default_project(resources, config, declared, kinds, diagnostics)
    check_references(
        documents.references, declared, diagnostics, unreadable_files=documents.unreadable
    )
    diagnostics.extend(DependencyGraph.from_resources(resources).cycle_diagnostics())
    stack = _make_stack(stack_root(path), config, resources, diagnostics)
    return StackReading(stack, tuple(resources), diagnostics)


def check_references(
    references: Iterable[Reference],
    declared: set[str],
    diagnostics: Diagnostics,
    *,
    unreadable_files: Iterable[str] = (),
) -> None:
    """Report references to addresses no manifest declares, with a close name when one exists."""
    unreadable = sorted(unreadable_files)
    for reference in references:
        if reference.address not in declared:
            diagnostics.error(
                f"{dotted(('spec', *reference.field))}: {reference.address} "
                "is not declared in this stack",
                reference.location,
                hint=_dangling_hint(reference, declared, unreadable),
                code="dangling-reference",
            )


def _dangling_hint(reference: Reference, declared: set[str], unreadable: list[str]) -> str:
    same_kind = sorted(a.partition("/")[2] for a in declared if a.startswith(reference.kind + "/"))
    close = suggest(reference.name, same_kind)
    if close:
        hint = f"did you mean '{reference.kind}/{close}'?"
    else:
        hint = f"declare a {reference.kind} named '{reference.name}', or fix the reference"
    if unreadable:
        hint += f" (not all manifests could be read: {', '.join(unreadable)})"
    return hint


@dataclass
class _Documents:
    """What the manifest files hold; `references` come from every document, valid or not."""

    resources: list[Resource] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def _read_manifests(
    files: list[Path], kinds: Mapping[str, KindInfo], diagnostics: Diagnostics, *, subset: bool
) -> _Documents:
    found = _Documents()
    for file in files:
        yaml_file = read_yaml_file(file, diagnostics, subset=subset)
        if not yaml_file.complete:
            found.unreadable.append(display_path(file))
        # An empty document (a stray `---`, only comments) is ignored, as kubectl does.
        documents = [document for document in yaml_file.documents if document.data is not None]
        if yaml_file.complete and not documents:
            diagnostics.error(
                "empty manifest file",
                SourceLocation(display_path(file), 1, 1),
                hint="every *.yaml/*.yml file under the stack is read as manifests; "
                "write one here or delete the file",
                code="empty-document",
            )
        base_dir = file.parent.resolve()
        for document in documents:
            reading = read_document(document, kinds, diagnostics, base_dir=base_dir)
            found.references.extend(reading.references)
            if reading.declaration is not None:
                found.declarations.append(reading.declaration)
            if reading.resource is not None:
                found.resources.append(reading.resource)
    return found


def _without_duplicates(
    resources: list[Resource], declarations: list[Declaration], diagnostics: Diagnostics
) -> list[Resource]:
    first: dict[str, Declaration] = {}
    for declaration in declarations:
        original = first.setdefault(declaration.address, declaration)
        if original is not declaration:
            diagnostics.error(
                f"duplicate name: {declaration.address} is already declared at {original.location}",
                declaration.location,
                hint="names are unique per kind within a stack; rename one of them",
                code="duplicate-name",
            )
    return [r for r in resources if first[r.address].location == r.location_of("metadata", "name")]


def _with_default_project(
    resources: list[Resource],
    config: ConfigReading,
    declared: set[str],
    kinds: Mapping[str, KindInfo],
    diagnostics: Diagnostics,
) -> list[Resource]:
    name = config.config.default_project_name
    if name is None or config.default_project_location is None:
        return resources
    reference = Reference("Project", name, ("project",), config.default_project_location)
    if reference.address not in declared:
        diagnostics.error(
            f"default_project: {reference.address} is not declared in this stack",
            reference.location,
            hint=_dangling_hint(reference, declared, []),
            code="dangling-reference",
        )
        return resources
    return [_add_default_project(r, kinds[r.kind], reference) for r in resources]


def _add_default_project(resource: Resource, info: KindInfo, project: Reference) -> Resource:
    names_a_project = any(ref.field[:1] == ("project",) for ref in resource.references)
    if not info.depends_on_project or names_a_project:
        return resource
    return dataclasses.replace(resource, references=(*resource.references, project))


def _make_stack(
    root: Path,
    config: ConfigReading | None,
    resources: list[Resource],
    diagnostics: Diagnostics,
) -> Stack | None:
    if config is None:
        return None
    by_address = {r.address: r for r in sorted(resources, key=lambda r: r.address)}
    return Stack(
        name=config.config.stack,
        root=root,
        config=config.config,
        config_location=config.location,
        resources=MappingProxyType(by_address),
        warnings=tuple(diagnostics.warnings),
    )
