"""diff_attributes: declared fields only, nested paths, replace and sensitive flags, unknowns."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.diff import diff_attributes
from reconciler.plan import UNKNOWN, FieldChange

CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[tuple[str, str, Any, Any]]]] = [
    ("equal", {"name": "A"}, {"name": "A"}, []),
    ("changed", {"name": "B"}, {"name": "A"}, [("change", "spec.name", "A", "B")]),
    ("server fields ignored", {"name": "A"}, {"name": "A", "created_at": 1}, []),
    ("missing live field", {"name": "A"}, {}, [("add", "spec.name", None, "A")]),
    ("dropped field", {"limit": None}, {"limit": 5}, [("remove", "spec.limit", 5, None)]),
    ("unknown", {"project": UNKNOWN}, {"project": "p"}, [("change", "spec.project", "p", UNKNOWN)]),
    (
        "nested",
        {"limits": {"rpm": 10, "tpm": 5}},
        {"limits": {"rpm": 20, "tpm": 5, "old": 1}},
        [("remove", "spec.limits.old", 1, None), ("change", "spec.limits.rpm", 20, 10)],
    ),
    ("list item", {"tags": ["a", "b"]}, {"tags": ["a"]}, [("add", "spec.tags[1]", None, "b")]),
]


@pytest.mark.parametrize(("title", "desired", "live", "expected"), CASES, ids=[c[0] for c in CASES])
def test_diff(
    title: str,
    desired: dict[str, Any],
    live: dict[str, Any],
    expected: list[tuple[str, str, Any, Any]],
) -> None:
    found = [(c.op, c.path, c.old, c.new) for c in diff_attributes(desired, live)]
    assert found == expected


def test_replace_and_sensitive_fields_are_flagged() -> None:
    changes = diff_attributes(
        {"file": "sha256:b", "secret": "new", "name": "x"},
        {"file": "sha256:a", "secret": "old", "name": "y"},
        replace_fields={"file"},
        sensitive_fields={"secret"},
    )
    assert changes == (
        FieldChange(
            op="change", path="spec.file", old="sha256:a", new="sha256:b", forces_replace=True
        ),
        FieldChange(op="change", path="spec.secret", old="old", new="new", sensitive=True),
        FieldChange(op="change", path="spec.name", old="y", new="x"),
    )
