"""What a resource's plan entry says about it for policies: its spec, labels and models used.

`planner.build_plan` calls `declared_facts` for every declared resource, so the plan JSON that
Rego policies read (`reconciler.policies`, docs/policies.md) carries the spec as declared, the
labels, and each model the spec names with its shutdown date. Generic over kinds: any string
field called `model` anywhere in a spec is a model use, so a kind added later is covered.

`shutdown_table(ctx)` is the plan's table of shutdown dates (the shipped table, the dates
`GET /v1/models` lists, the stack's `model_shutdowns:` file), built once per plan;
`shutdown_warnings` warns, at the field, for each model a spec names that shuts down within 90
days (a kind whose planner warns itself, `warns_shutdowns = True`, is left to it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.kinds.base import PlanContext
from reconciler.models.base import Resource
from reconciler.models.shutdowns import (
    ShutdownTable,
    api_dates,
    load_table,
    shutdown_warning,
    today,
)
from reconciler.plan import ModelUse
from reconciler.state import cached_index

MODEL_KIND = "Model"  # the live objects `GET /v1/models` lists


def declared_facts(resource: Resource, ctx: PlanContext) -> dict[str, Any]:
    """`spec`, `labels` and `models` of a ResourceChange for `resource`."""
    spec = resource.spec.model_dump(mode="json", exclude_none=True)
    return {
        "spec": spec,
        "labels": dict(resource.metadata.labels),
        "models": tuple(_uses(spec, ctx.stack.resources, shutdown_table(ctx))),
    }


def shutdown_table(ctx: PlanContext) -> ShutdownTable:
    """The stack's shutdown table with the dates `GET /v1/models` listed: built once per
    plan (kept beside the live state), not once per resource."""
    override = ctx.stack.config.model_shutdowns
    path = ctx.stack.resolve_path(override) if override is not None else None

    def build() -> ShutdownTable:
        listed = [
            (m.live_id, m.attributes.get("shutdown_date")) for m in ctx.live.of_kind(MODEL_KIND)
        ]
        return load_table(path, api_dates(listed))

    return cached_index(ctx.live, f"_shutdowns:{path}", ctx.live.objects, build)


def shutdown_warnings(resource: Resource, ctx: PlanContext) -> list[str]:
    """`file:line:col: model '…' shuts down on …` for each API model the spec names (not a
    `Kind/name` reference: what it resolves to is that resource's own warning)."""
    spec = resource.spec.model_dump(mode="json", exclude_none=True)
    table = shutdown_table(ctx)
    found = []
    for parts, model in model_fields(spec, ("spec",)):
        warning = None if "/" in model else shutdown_warning(model, table)
        if warning is not None:
            found.append(f"{resource.location_of(*parts)}: {dotted(parts)}: {warning}")
    return found


def dotted(parts: tuple[str | int, ...]) -> str:
    """`spec.testing_criteria[2].model` for ("spec", "testing_criteria", 2, "model")."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _uses(
    spec: dict[str, Any], resources: Mapping[str, Resource], table: ShutdownTable
) -> Iterator[ModelUse]:
    for parts, model in model_fields(spec, ("spec",)):
        base = _base_model(model, resources, set())
        entry = table.lookup(base) if base else None
        yield ModelUse(
            field=dotted(parts),
            model=model,
            base_model=base if base != model else None,
            shutdown_date=entry.shutdown_date.isoformat() if entry else None,
            days_to_shutdown=(entry.shutdown_date - today()).days if entry else None,
        )


def model_fields(
    value: Any, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string field called `model` under `value`, with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = (*path, key)
            if key == "model" and isinstance(item, str):
                yield where, item
            else:
                yield from model_fields(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from model_fields(item, (*path, index))


def _base_model(model: str, resources: Mapping[str, Resource], seen: set[str]) -> str | None:
    """The API model behind `model`: itself, or what a `FineTune/x` reference trains from
    (through chains of fine-tunes); None for what only apply decides (`Promotion/x`)."""
    if "/" not in model:
        return model
    if not model.startswith("FineTune/") or model in seen:
        return None
    seen.add(model)
    resource = resources.get(model)
    base = getattr(resource.spec, "model", None) if resource is not None else None
    return _base_model(base, resources, seen) if isinstance(base, str) else None
