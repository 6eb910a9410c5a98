"""Field-level diff between a desired view and a live object's attributes.

The planner calls `diff_attributes` with the desired view of a resource (declared fields only)
and the `LiveObject.attributes` of its live match; server-managed fields never appear because
they are not in the desired view. Nested values are compared with deepdiff, so a change deep in
a settings object is reported at its own path (`spec.rate_limits.gpt-4o.max_requests`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from deepdiff import DeepDiff

from reconciler.plan import UNKNOWN, FieldChange

_MISSING = object()


def diff_attributes(
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    *,
    replace_fields: Collection[str] = (),
    sensitive_fields: Collection[str] = (),
    prefix: str = "spec",
) -> tuple[FieldChange, ...]:
    """Every declared field whose live value differs, in the order of `desired`."""
    changes: list[FieldChange] = []
    for name, wanted in desired.items():
        current = live.get(name, _MISSING)
        flags = {
            "forces_replace": name in replace_fields,
            "sensitive": name in sensitive_fields,
        }
        path = f"{prefix}.{name}" if prefix else name
        changes.extend(_field_changes(path, wanted, current, flags))
    return tuple(changes)


def _field_changes(
    path: str, wanted: Any, current: Any, flags: Mapping[str, bool]
) -> list[FieldChange]:
    if current is _MISSING or current is None:
        if wanted is None:
            return []
        return [FieldChange(op="add", path=path, new=wanted, **flags)]
    if wanted is None:
        return [FieldChange(op="remove", path=path, old=current, **flags)]
    if wanted == UNKNOWN:
        return [FieldChange(op="change", path=path, old=current, new=UNKNOWN, **flags)]
    if _is_nested(wanted) and _is_nested(current):
        return _nested_changes(path, wanted, current, flags)
    if wanted == current:
        return []
    return [FieldChange(op="change", path=path, old=current, new=wanted, **flags)]


def _is_nested(value: Any) -> bool:
    return isinstance(value, dict | list)


def _nested_changes(
    path: str, wanted: Any, current: Any, flags: Mapping[str, bool]
) -> list[FieldChange]:
    tree = DeepDiff(current, wanted, view="tree", verbose_level=2)
    found = [(_op_of(report), level) for report, levels in tree.items() for level in levels]
    changes: list[FieldChange] = []
    for op, level in sorted(found, key=lambda item: str(item[1].path())):
        full_path = path + _dotted(level.path(output_format="list"))
        old, new = _present(level.t1), _present(level.t2)
        if op == "add":
            changes.append(FieldChange(op="add", path=full_path, new=new, **flags))
        elif op == "remove":
            changes.append(FieldChange(op="remove", path=full_path, old=old, **flags))
        else:
            changes.append(FieldChange(op="change", path=full_path, old=old, new=new, **flags))
    return changes


def _op_of(report_type: str) -> str:
    if report_type.endswith("_added"):
        return "add"
    if report_type.endswith("_removed"):
        return "remove"
    return "change"


def _present(value: Any) -> Any:
    """deepdiff marks the absent side of an added/removed item with a `NotPresent` object."""
    return None if type(value).__name__ == "NotPresent" else value


def _dotted(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text
