"""Local facts the planner needs about the files manifests name: one check per Dataset.

`cli.py` (plan, apply, drift) calls `check_datasets(stack)` before planning and passes the
result to `build_plan` as `reports`; `dataset_diagnostics` turns their problems into the same
diagnostics `reconciler validate` shows. The content checks are `reconciler.datasets`'s; when
that package offers no `check_dataset`, `HashedFile` (hash and size only) stands in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import Diagnostic
from reconciler.kinds.base import DatasetFacts
from reconciler.manifests import Stack, display_path
from reconciler.models.dataset import DatasetSpec


@dataclass(frozen=True)
class HashedFile:
    """A file's sha256 and size: the facts of a dataset nobody checked further."""

    sha256: str
    size: int
    has_errors: bool = False

    def summary_lines(self) -> Sequence[str]:
        return (f"{self.size:,} bytes",)

    @classmethod
    def of(cls, path: Path) -> HashedFile:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return cls(sha256=digest.hexdigest(), size=path.stat().st_size)


def check_datasets(stack: Stack) -> dict[str, DatasetFacts]:
    """The facts of every Dataset of `stack`, by address."""
    return {
        resource.address: check_dataset_file(
            resource.base_dir / _spec(resource.spec).file, _spec(resource.spec), stack.cache_dir
        )
        for resource in stack.of_kind("Dataset")
    }


def check_dataset_file(path: Path, spec: DatasetSpec, cache_dir: Path) -> DatasetFacts:
    try:
        from reconciler.datasets import check_dataset  # type: ignore[attr-defined]
    except ImportError:
        return HashedFile.of(path)
    report: DatasetFacts = check_dataset(
        path, purpose=spec.purpose, format=spec.format, model=spec.model, cache_dir=cache_dir
    )
    return report


def dataset_diagnostics(stack: Stack, reports: Mapping[str, DatasetFacts]) -> list[Diagnostic]:
    """The problems the dataset checks found, as diagnostics at `file:line:col`."""
    found: list[Diagnostic] = []
    for resource in stack.of_kind("Dataset"):
        report: Any = reports.get(resource.address)
        shown = display_path(resource.base_dir / _spec(resource.spec).file)
        for problem in getattr(report, "problems", None) or ():
            found.append(
                problem if isinstance(problem, Diagnostic) else problem.to_diagnostic(shown)
            )
    return found


def _spec(spec: object) -> DatasetSpec:
    assert isinstance(spec, DatasetSpec)
    return spec
