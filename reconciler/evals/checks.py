"""Offline checks of Evals and EvalRuns that need more than one manifest (`validate`).

`validation.py` calls `check_evals` with every resource: graders this engine cannot run (python
and multi graders, meteor, cosine, a metric whose library is missing), an EvalRun's
references inside `data_source` (`Dataset/x`, `FineTune/x`), template variables of its input
messages against the Eval's `item_schema`, and every item (a Dataset's lines, or `content`)
against `item_schema`, located at the dataset's `file:line`. Never imports the SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from reconciler.errors import Diagnostic, Diagnostics, SourceLocation
from reconciler.evals.graders import refusal
from reconciler.evals.items import Item, read_items, schema_problems
from reconciler.evals.python_grader import OPT_IN_HINT
from reconciler.evals.templates import unknown_variable, variables
from reconciler.models.base import Resource
from reconciler.models.dataset import DatasetSpec
from reconciler.models.eval import EvalSpec
from reconciler.models.eval_run import EvalRunSpec, FileContentSource
from reconciler.models.promotion import PromotionSpec

MAX_ITEM_ERRORS = 10
"""Items breaking item_schema reported per EvalRun (the rest are counted)."""


def check_evals(
    resources: Iterable[Resource],
    display: Callable[[Path], str] = str,
    *,
    python_graders: bool = False,
    wordnet: Path | None = None,
) -> list[Diagnostic]:
    """Diagnostics of every Eval and EvalRun among `resources`; `display` shows a path;
    `python_graders`: reconciler.yaml opts in to python graders."""
    listed = list(resources)
    by_address = {resource.address: resource for resource in listed}
    diagnostics = Diagnostics()
    for resource in listed:
        if isinstance(resource.spec, EvalSpec):
            _check_graders(resource, resource.spec, diagnostics, python_graders, wordnet)
        elif isinstance(resource.spec, EvalRunSpec):
            _check_run(resource, resource.spec, by_address, diagnostics, display)
        elif isinstance(resource.spec, PromotionSpec):
            _check_gates(resource, resource.spec, by_address, diagnostics)
    return diagnostics.items


def _check_gates(
    resource: Resource,
    spec: PromotionSpec,
    by_address: Mapping[str, Resource],
    diagnostics: Diagnostics,
) -> None:
    """Every gate's criterion is a criterion of each candidate's (and the baseline's) Eval."""
    runs = [*spec.candidates, *([spec.baseline] if spec.baseline else [])]
    for index, gate in enumerate(spec.gate):
        for address in runs:
            run = by_address.get(address)
            if run is None or not isinstance(run.spec, EvalRunSpec):
                continue
            evaluation = by_address.get(run.spec.eval)
            if evaluation is None or not isinstance(evaluation.spec, EvalSpec):
                continue
            names = [g.name for g in evaluation.spec.testing_criteria]
            if gate.criterion not in names:
                diagnostics.error(
                    f"spec.gate[{index}].criterion: '{gate.criterion}' is not a criterion of "
                    f"{run.spec.eval} (the Eval of {address})",
                    resource.location_of("spec", "gate", index, "criterion"),
                    hint=f"its criteria are {', '.join(names)}",
                    code="unknown-criterion",
                )


def _check_graders(
    resource: Resource,
    spec: EvalSpec,
    diagnostics: Diagnostics,
    python_graders: bool,
    wordnet: Path | None,
) -> None:
    for index, grader in enumerate(spec.testing_criteria):
        if grader.type == "python" and not python_graders:
            diagnostics.error(
                f"spec.testing_criteria[{index}] ({grader.name}): python graders run code from "
                "the manifest, so they run only when the stack opts in",
                resource.location_of("spec", "testing_criteria", index, "type"),
                hint=f"{OPT_IN_HINT} (each call runs in a child process with a time limit)",
                code="python-grader-not-enabled",
            )
            continue
        why = refusal(grader.model_dump(), wordnet)
        if why is not None:
            field = "evaluation_metric" if grader.type == "text_similarity" else "type"
            diagnostics.error(
                f"spec.testing_criteria[{index}] ({grader.name}): {why}",
                resource.location_of("spec", "testing_criteria", index, field),
                code="unsupported-grader",
            )


def _check_run(
    resource: Resource,
    spec: EvalRunSpec,
    by_address: Mapping[str, Resource],
    diagnostics: Diagnostics,
    display: Callable[[Path], str],
) -> None:
    source = spec.data_source.source
    model = spec.data_source.model
    if model.startswith(("FineTune/", "Promotion/")) and model not in by_address:
        diagnostics.error(
            f"spec.data_source.model: {model} is not declared in this stack",
            resource.location_of("spec", "data_source", "model"),
            hint="give a model id, or a FineTune or Promotion of this stack",
            code="unknown-reference",
        )
    dataset = None
    if not isinstance(source, FileContentSource):
        dataset = by_address.get(source.id)
        if dataset is None or not isinstance(dataset.spec, DatasetSpec):
            diagnostics.error(
                f"spec.data_source.source.id: {source.id} is not declared in this stack",
                resource.location_of("spec", "data_source", "source", "id"),
                hint="name a Dataset of this stack whose lines are the items",
                code="unknown-reference",
            )
            return
    evaluation = by_address.get(spec.eval)
    if evaluation is None or not isinstance(evaluation.spec, EvalSpec):
        return  # an unknown reference: reported by the stack's reference check
    config = evaluation.spec.data_source_config
    template = [m.model_dump(exclude_none=True) for m in spec.data_source.input_messages.template]
    for path, variable in variables(template):
        why = unknown_variable(variable, config.item_schema, sample_allowed=False)
        if why is not None:
            where = ("spec", "data_source", "input_messages", "template", *path)
            diagnostics.error(
                f"spec.data_source.input_messages: unknown template variable "
                f"{{{{{variable.text}}}}} ({why})",
                resource.location_of(*where),
                code="unknown-template-variable",
            )
    if dataset is None:
        assert isinstance(source, FileContentSource)
        items = [Item(i, row.item) for i, row in enumerate(source.content)]
        for index, why in schema_problems(items, config.item_schema):
            diagnostics.error(
                f"spec.data_source.source.content[{index}]: the item breaks the item_schema "
                f"of {spec.eval}: {why}",
                resource.location_of("spec", "data_source", "source", "content", index),
                code="item-schema",
            )
        return
    assert isinstance(dataset.spec, DatasetSpec)
    _check_dataset_items(resource, spec, dataset, config.item_schema, diagnostics, display)


def _check_dataset_items(
    resource: Resource,
    spec: EvalRunSpec,
    dataset: Resource,
    schema: Mapping[str, object],
    diagnostics: Diagnostics,
    display: Callable[[Path], str],
) -> None:
    assert isinstance(dataset.spec, DatasetSpec)
    path = dataset.base_dir / dataset.spec.file
    if not path.is_file():
        return  # reported by the dataset's own file check
    try:
        problems = list(schema_problems(read_items(path), schema))
    except ValueError:
        return  # a line that is not JSON: reported by the dataset's own check
    for line, why in problems[:MAX_ITEM_ERRORS]:
        diagnostics.error(
            f"item breaks the item_schema of {spec.eval} (used by {resource.address}): {why}",
            SourceLocation(display(path), line, 1),
            hint="fix the item, or the Eval's data_source_config.item_schema",
            code="item-schema",
        )
    if len(problems) > MAX_ITEM_ERRORS:
        diagnostics.error(
            f"{len(problems) - MAX_ITEM_ERRORS} more items of {dataset.address} break the "
            f"item_schema of {spec.eval}",
            resource.location_of("spec", "data_source", "source", "id"),
            code="item-schema",
        )
