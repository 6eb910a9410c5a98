"""Local facts the planner needs about the files manifests name: one check per Dataset.

`cli.py` (plan, apply, drift) calls `check_datasets(stack)` before planning and passes the
result to `build_plan` as `reports`; `dataset_diagnostics` turns their problems into the same
diagnostics `reconciler validate` shows (a file with errors is blocked by the Dataset planner,
with what depends on it; nothing of it is uploaded).
The checks themselves are `reconciler.datasets.check_dataset`'s (streamed, cached by content).
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.datasets import DatasetReport, PriceTable, check_dataset
from reconciler.errors import Diagnostic
from reconciler.manifests import Stack, display_path
from reconciler.models.base import Resource
from reconciler.models.dataset import DatasetSpec
from reconciler.models.fine_tune import validation_only_datasets


def check_datasets(stack: Stack) -> dict[str, DatasetReport]:
    """The report of every Dataset of `stack`, by address."""
    prices = None
    if stack.config.prices is not None:
        prices = PriceTable.load(stack.resolve_path(stack.config.prices))
    reports = {}
    validation_only = validation_only_datasets(stack.resources.values())
    for resource in stack.of_kind("Dataset"):
        spec = _spec(resource)
        reports[resource.address] = report = check_dataset(
            resource.base_dir / spec.file,
            purpose=spec.purpose,
            format=spec.format,
            model=spec.model,
            batch_endpoint=spec.batch_endpoint,
            cache_dir=stack.cache_dir,
            prices=prices,
        )
        if resource.address in validation_only:
            reports[resource.address] = report.as_validation_file()
    return reports


def dataset_diagnostics(stack: Stack, reports: Mapping[str, DatasetReport]) -> list[Diagnostic]:
    """The problems the dataset checks found, as diagnostics at `file:line:col`."""
    found: list[Diagnostic] = []
    for resource in stack.of_kind("Dataset"):
        report = reports.get(resource.address)
        if report is not None:
            found.extend(report.diagnostics(display_path(resource.base_dir / _spec(resource).file)))
    return found


def _spec(resource: Resource) -> DatasetSpec:
    assert isinstance(resource.spec, DatasetSpec)
    return resource.spec
