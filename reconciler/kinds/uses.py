"""What a resource's plan entry says about it for policies: its spec, labels and models used.

`planner.build_plan` calls `declared_facts` for every declared resource, so the plan JSON that
Rego policies read (`reconciler.policies`, docs/policies.md) carries the spec as declared, the
labels, and each model the spec names with its shutdown date. Generic over kinds: any string
field called `model` anywhere in a spec is a model use, so a kind added later is covered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.models.base import Resource
from reconciler.models.shutdowns import shipped_table, today
from reconciler.plan import ModelUse


def declared_facts(resource: Resource, resources: Mapping[str, Resource]) -> dict[str, Any]:
    """`spec`, `labels` and `models` of a ResourceChange for `resource`."""
    spec = resource.spec.model_dump(mode="json", exclude_none=True)
    return {
        "spec": spec,
        "labels": dict(resource.metadata.labels),
        "models": tuple(_uses(spec, resources)),
    }


def _uses(spec: dict[str, Any], resources: Mapping[str, Resource]) -> Iterator[ModelUse]:
    for path, model in _model_fields(spec, "spec"):
        base = _base_model(model, resources, set())
        entry = shipped_table().lookup(base) if base else None
        yield ModelUse(
            field=path,
            model=model,
            base_model=base if base != model else None,
            shutdown_date=entry.shutdown_date.isoformat() if entry else None,
            days_to_shutdown=(entry.shutdown_date - today()).days if entry else None,
        )


def _model_fields(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if key == "model" and isinstance(item, str):
                yield where, item
            else:
                yield from _model_fields(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _model_fields(item, f"{path}[{index}]")


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
