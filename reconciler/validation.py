"""The offline `validate` pipeline: manifests, references, cycles and the files they name.

`reconciler validate PATH` calls `run_validate`; `plan` can call `validate_stack` on a loaded
`Stack`. Everything here is local: it never imports `openai` (a test checks it), so it starts
fast and can run in a pre-commit hook. Dataset contents are checked by `reconciler.datasets`
when that package provides `check_dataset`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reconciler.errors import Diagnostic, Diagnostics
from reconciler.graph import DependencyGraph
from reconciler.manifests import Stack, check_references, display_path, read_stack
from reconciler.models.base import Resource


def run_validate(path: Path, stack_name: str | None = None) -> Diagnostics:
    """Check everything under `path`; raise ManifestError listing all errors, else return warnings.

    Files named by valid resources are checked even when other documents have errors, so one
    run shows every problem.
    """
    reading = read_stack(path, stack_name=stack_name)
    diagnostics = reading.diagnostics
    diagnostics.extend(check_local_files(reading.resources, check_datasets=True))
    diagnostics.raise_if_errors()
    return diagnostics


def validate_stack(stack: Stack, *, check_datasets: bool = True) -> Diagnostics:
    """Stack-level checks on an assembled stack: references, cycles, local files."""
    diagnostics = Diagnostics()
    resources = list(stack.resources.values())
    references = [reference for resource in resources for reference in resource.references]
    check_references(references, set(stack.resources), diagnostics)
    diagnostics.extend(DependencyGraph.from_resources(resources).cycle_diagnostics())
    diagnostics.extend(check_local_files(resources, check_datasets=check_datasets))
    return diagnostics


def check_local_files(
    resources: Iterable[Resource], *, check_datasets: bool = True
) -> list[Diagnostic]:
    """Every file field exists (relative to its manifest); dataset contents pass their checks."""
    from reconciler.models import KINDS

    diagnostics = Diagnostics()
    for resource in resources:
        info = KINDS.get(resource.kind)
        for field in sorted(info.file_fields) if info else ():
            path = _existing_file(resource, field, diagnostics)
            if path is not None and check_datasets and resource.kind == "Dataset":
                diagnostics.extend(_check_dataset_contents(resource, path))
    return diagnostics.items


def _existing_file(resource: Resource, field: str, diagnostics: Diagnostics) -> Path | None:
    written = getattr(resource.spec, field, None)
    if not isinstance(written, str):
        return None
    path = resource.base_dir / written
    if path.is_file():
        return path
    problem = "is a folder, not a file" if path.is_dir() else "not found"
    diagnostics.error(
        f"spec.{field}: {written} {problem}",
        resource.location_of("spec", field),
        hint=f"paths are relative to the manifest's folder; this one resolves to "
        f"{display_path(path)}",
        code="file-not-found",
    )
    return None


def _check_dataset_contents(resource: Resource, path: Path) -> list[Diagnostic]:
    """Delegate to `reconciler.datasets.check_dataset` (issue 4) once it exists.

    Passes the spec's fields the checker's signature names (purpose, format, model,
    batch_endpoint), so either side can grow options without breaking the other.
    """
    checker = _dataset_checker()
    if checker is None:
        return []
    import inspect

    accepted = inspect.signature(checker).parameters
    options = {k: v for k, v in resource.spec.model_dump().items() if k in accepted}
    return _as_diagnostics(checker(path, **options), display_path(path))


def _dataset_checker() -> Any:
    import importlib

    for module in ("reconciler.datasets", "reconciler.datasets.check"):
        try:
            checker = getattr(importlib.import_module(module), "check_dataset", None)
        except ImportError:
            continue
        if checker is not None:
            return checker
    return None


def _as_diagnostics(result: Any, shown: str) -> list[Diagnostic]:
    """Accept a DatasetReport (`.diagnostics(file)`), a Diagnostics, or a list of Diagnostic."""
    if isinstance(result, Diagnostics):
        return result.items
    diagnostics = getattr(result, "diagnostics", None)
    if callable(diagnostics):
        return list(diagnostics(shown))
    return [item for item in result if isinstance(item, Diagnostic)]
