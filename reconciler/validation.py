"""The offline `validate` pipeline: manifests, references, cycles and the files they name.

`reconciler validate PATH` calls `run_validate`; `plan` can call `validate_stack` on a loaded
`Stack`. Everything here is local: it never imports `openai` (a test checks it), so it starts
fast and can run in a pre-commit hook. Dataset contents are checked by
`reconciler.datasets.check_dataset` (imported only when a Dataset is checked).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.config import CONFIG_FILENAME
from reconciler.errors import ConfigError, Diagnostic, Diagnostics
from reconciler.graph import DependencyGraph
from reconciler.manifests import Stack, check_references, display_path, read_stack
from reconciler.manifests.discovery import stack_root
from reconciler.manifests.files import is_inside, not_a_regular_file
from reconciler.models.base import Resource
from reconciler.models.batch import BatchSpec
from reconciler.models.dataset import DatasetSpec

if TYPE_CHECKING:
    from reconciler.datasets import PriceTable
    from reconciler.models.shutdowns import ShutdownTable


_FILE_PROBLEMS = {"not found": "not found", "a folder": "is a folder, not a file"}


def run_validate(path: Path, stack_name: str | None = None) -> Diagnostics:
    """Check everything under `path`; raise ManifestError listing all errors, else return warnings.

    Files named by valid resources are checked even when other documents have errors, so one
    run shows every problem.
    """
    reading = read_stack(path, stack_name=stack_name)
    diagnostics = reading.diagnostics
    settings = dataset_check_settings(reading.stack, diagnostics)
    root = stack_root(Path(path).absolute())
    diagnostics.extend(check_local_files(reading.resources, datasets=settings, root=root))
    shutdowns = shutdown_table(reading.stack, diagnostics)
    diagnostics.extend(check_models_and_methods(reading.resources, shutdowns))
    diagnostics.extend(check_evals(reading.resources, reading.stack))
    if reading.stack is not None and reading.stack.config.policies.paths:
        from reconciler.policies import policy_diagnostics

        diagnostics.extend(policy_diagnostics(reading.stack.config.policies, root))
    diagnostics.raise_if_errors()
    return diagnostics


def validate_stack(stack: Stack, *, check_datasets: bool = True) -> Diagnostics:
    """Stack-level checks on an assembled stack: references, cycles, local files."""
    diagnostics = Diagnostics()
    resources = list(stack.resources.values())
    references = [reference for resource in resources for reference in resource.references]
    check_references(references, set(stack.resources), diagnostics)
    diagnostics.extend(DependencyGraph.from_resources(resources).cycle_diagnostics())
    settings = dataset_check_settings(stack, diagnostics) if check_datasets else None
    diagnostics.extend(check_local_files(resources, datasets=settings, root=stack.root))
    # a broken model_shutdowns file is an error here; the warnings themselves are the plan's,
    # with the dates GET /v1/models lists (kinds/fine_tune.py), not the offline ones again
    shutdowns = shutdown_table(stack, diagnostics)
    diagnostics.extend(check_models_and_methods(resources, shutdowns, shutdown_warnings=False))
    diagnostics.extend(check_evals(resources, stack))
    return diagnostics


@dataclass(frozen=True)
class DatasetCheckSettings:
    """What `reconciler.datasets.check_dataset` needs from the stack config."""

    cache_dir: Path | None = None
    prices: PriceTable | None = None


def dataset_check_settings(stack: Stack | None, diagnostics: Diagnostics) -> DatasetCheckSettings:
    """The stack's cache folder and price table (a broken price table is reported)."""
    if stack is None:
        return DatasetCheckSettings()
    prices = None
    if stack.config.prices is not None:
        from reconciler.datasets import PriceTable

        try:
            prices = PriceTable.load(stack.resolve_path(stack.config.prices))
        except ConfigError as error:
            diagnostics.error(str(error), stack.config_location, code="invalid-prices")
    return DatasetCheckSettings(stack.cache_dir, prices)


def check_local_files(
    resources: Iterable[Resource],
    *,
    datasets: DatasetCheckSettings | None,
    root: Path,
) -> list[Diagnostic]:
    """Every file field names a regular file (relative to its manifest) inside the stack
    folder `root`; with `datasets` settings, Dataset files also pass
    `reconciler.datasets.check_dataset` (format, tokens)."""
    from reconciler.models import KINDS
    from reconciler.models.fine_tune import validation_only_datasets

    listed = list(resources)
    validation_only = validation_only_datasets(listed)
    diagnostics = Diagnostics()
    for resource in listed:
        info = KINDS.get(resource.kind)
        for field in sorted(info.file_fields) if info else ():
            path = _existing_file(resource, field, root, diagnostics)
            if path is not None and datasets is not None and resource.kind == "Dataset":
                role = resource.address in validation_only
                diagnostics.extend(_check_dataset_contents(resource, path, datasets, role))
    return diagnostics.items


def shutdown_table(stack: Stack | None, diagnostics: Diagnostics) -> ShutdownTable | None:
    """The stack's `model_shutdowns:` table (None: the shipped one); a broken file is an
    error at reconciler.yaml."""
    if stack is None or stack.config.model_shutdowns is None:
        return None
    from reconciler.models.shutdowns import load_table

    try:
        return load_table(stack.resolve_path(stack.config.model_shutdowns))
    except ConfigError as error:
        diagnostics.error(str(error), stack.config_location, code="invalid-model-shutdowns")
        return None


def _warn_model_shutdowns(
    resource: Resource, shutdowns: ShutdownTable | None, diagnostics: Diagnostics
) -> None:
    """Every API model a spec names (a Batch template's, an EvalRun's, a grader's, a
    moderation policy's) that shuts down within 90 days, at its field."""
    from reconciler.kinds.uses import dotted, model_fields
    from reconciler.models.shutdowns import shutdown_warning

    spec = resource.spec.model_dump(mode="json", exclude_none=True)
    for parts, model in model_fields(spec, ("spec",)):
        warning = None if "/" in model else shutdown_warning(model, shutdowns)
        if warning is not None:
            diagnostics.warning(
                f"{dotted(parts)}: {warning}", resource.location_of(*parts), code="model-shutdown"
            )


def check_models_and_methods(
    resources: Iterable[Resource],
    shutdowns: ShutdownTable | None = None,
    *,
    shutdown_warnings: bool = True,
) -> list[Diagnostic]:
    """FineTunes: a declared training file format that the method cannot read, a `model:
    FineTune/x` naming no FineTune, a model that shuts down within 90 days (any `model` field
    of any kind, e.g. a Batch template's or a grader's). Datasets: a model
    the model table does not know (tokens, limits and cost would be guessed; the fast path
    leaves such stacks to this check)."""
    from reconciler.models.fine_tune import FORMAT_OF_METHOD, FineTuneSpec
    from reconciler.models.shutdowns import shutdown_warning

    listed = list(resources)
    by_address = {resource.address: resource for resource in listed}
    diagnostics = Diagnostics()
    for resource in listed:
        spec = resource.spec
        if isinstance(spec, DatasetSpec) and spec.model is not None:
            _warn_unknown_model(resource, spec.model, diagnostics)
        if isinstance(spec, BatchSpec) and spec.template is not None:
            _check_template_model(resource, spec.template.get("model"), by_address, diagnostics)
        if not isinstance(spec, FineTuneSpec):
            if shutdown_warnings and not isinstance(spec, DatasetSpec):  # its model counts tokens
                _warn_model_shutdowns(resource, shutdowns, diagnostics)
            continue
        warning = shutdown_warning(spec.model, shutdowns) if shutdown_warnings else None
        if warning is not None:
            location = resource.location_of("spec", "model")
            diagnostics.warning(f"spec.model: {warning}", location, code="model-shutdown")
        wanted = FORMAT_OF_METHOD[spec.method.type]
        training = by_address.get(spec.training_file)
        declared = getattr(training.spec, "format", None) if training else None
        if declared is not None and declared != wanted:
            diagnostics.error(
                f"spec.training_file: {spec.training_file} is declared format '{declared}'; "
                f"method '{spec.method.type}' trains on '{wanted}' files",
                resource.location_of("spec", "training_file"),
                hint=f"use a '{wanted}' dataset, or the method that reads '{declared}' files",
                code="format-mismatch",
            )
        if spec.model.startswith("FineTune/") and spec.model not in by_address:
            diagnostics.error(
                f"spec.model: {spec.model} is not declared in this stack",
                resource.location_of("spec", "model"),
                hint="continue from a FineTune of this stack, or give a base model id",
                code="unknown-reference",
            )
    return diagnostics.items


def _check_template_model(
    resource: Resource, model: object, by_address: dict[str, Resource], diagnostics: Diagnostics
) -> None:
    """A Batch template's `model: Promotion/x` or `FineTune/x` names a resource of the stack."""
    referenced = isinstance(model, str) and model.startswith(("Promotion/", "FineTune/"))
    if referenced and model not in by_address:
        diagnostics.error(
            f"spec.template.model: {model} is not declared in this stack",
            resource.location_of("spec", "template", "model"),
            hint="give a model id, or a Promotion or FineTune of this stack",
            code="unknown-reference",
        )


def _warn_unknown_model(resource: Resource, model: str, diagnostics: Diagnostics) -> None:
    from reconciler.datasets.tables import unknown_model_warning

    unknown = unknown_model_warning(model)
    if unknown is not None:
        message, hint = unknown
        location = resource.location_of("spec", "model")
        diagnostics.warning(f"spec.model: {message}", location, hint=hint, code="unknown-model")


def check_evals(resources: Iterable[Resource], stack: Stack | None = None) -> list[Diagnostic]:
    """Evals, EvalRuns and Promotions: graders the local engine cannot run, references inside
    `data_source`, template variables, every item against the Eval's `item_schema`, gates
    naming a criterion (`reconciler.evals.checks`, imported only when the stack has one)."""
    listed = list(resources)
    if not any(resource.kind in ("Eval", "EvalRun", "Promotion") for resource in listed):
        return []
    from reconciler.evals.checks import check_evals as check

    settings = stack.config.evals if stack is not None else None
    return check(
        listed,
        display=display_path,
        python_graders=settings is not None and settings.python_graders,
        wordnet=(
            stack.resolve_path(settings.wordnet)
            if stack is not None and settings is not None and settings.wordnet is not None
            else None
        ),
    )


def _existing_file(
    resource: Resource, field: str, root: Path, diagnostics: Diagnostics
) -> Path | None:
    """The file a file field names: a regular file inside the stack folder `root` (after
    `..` and symlinks), else an error at the field's value. Only `stat` is called."""
    written = getattr(resource.spec, field, None)
    if not isinstance(written, str):
        return None
    path = resource.base_dir / written
    location = resource.location_of("spec", field)
    if not is_inside(path, root):
        diagnostics.error(
            f"spec.{field}: {written} is outside the stack folder",
            location,
            hint=f"files are read from under {display_path(root) or '.'} (the folder of "
            f"{CONFIG_FILENAME}) only: absolute paths, '..' and symlinks leading out are "
            "refused; copy the file into the stack folder",
            code="outside-stack",
        )
        return None
    kind = not_a_regular_file(path)
    if kind is None:
        return path
    problem = _FILE_PROBLEMS.get(kind) or (
        f"is {kind}" if kind.startswith("unreadable") else f"is {kind}, not a regular file"
    )
    diagnostics.error(
        f"spec.{field}: {written} {problem}",
        location,
        hint=f"paths are relative to the manifest's folder; this one resolves to "
        f"{display_path(path)}",
        code="file-not-found",
    )
    return None


def _check_dataset_contents(
    resource: Resource, path: Path, settings: DatasetCheckSettings, validation_only: bool
) -> list[Diagnostic]:
    from reconciler.datasets import check_dataset

    spec = resource.spec
    assert isinstance(spec, DatasetSpec)
    report = check_dataset(
        path,
        purpose=spec.purpose,
        format=spec.format,
        model=spec.model,
        batch_endpoint=spec.batch_endpoint,
        cache_dir=settings.cache_dir,
        prices=settings.prices,
    )
    if validation_only:  # only a FineTune's validation file: no example count rules
        report = report.as_validation_file()
    return report.diagnostics(display_path(path))
