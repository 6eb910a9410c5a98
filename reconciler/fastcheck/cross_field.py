"""Fast copies of the specs' cross-field `problems()`, which no JSON Schema can express.

`fastcheck.stack` asks `passes_cross_field_checks` about every document whose kind's rules list
cross-field checks. Each copy is registered with the digest of the `problems()` source it was
written from (see `fastcheck.generate`); when the model's method changes, the digests differ
and the answer is "no", so the fast path falls back until the copy is reviewed.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    Tables = Mapping[str, Any]


def _dataset_has_problem(spec: Mapping[str, Any], tables: Tables) -> bool:
    """`reconciler.models.dataset.DatasetSpec.problems`."""
    purpose, format_ = spec.get("purpose"), spec.get("format")
    expected_purpose = tables["PURPOSE_OF_FORMAT"].get(format_ or "")
    if expected_purpose is not None and expected_purpose != purpose:
        return True
    return spec.get("batch_endpoint") is not None and purpose != "batch"


def _project_member_has_problem(spec: Mapping[str, Any], tables: Tables) -> bool:
    """`reconciler.models.project_member.ProjectMemberSpec.problems`."""
    return (spec.get("email") is None) == (spec.get("group") is None)


_COPIES: dict[str, tuple[str, Callable[[Mapping[str, Any], Tables], bool]]] = {
    "Dataset": ("93fd562260db9c7c", _dataset_has_problem),
    "ProjectMember": ("a946ee2e2e249f44", _project_member_has_problem),
}


def passes_cross_field_checks(kind: str, spec: Mapping[str, Any], rules: Mapping[str, Any]) -> bool:
    """True only when a current fast copy exists for `kind` and finds no problem; `rules` is
    the kind's `cross_field_checks` entry in rules.json."""
    copy = _COPIES.get(kind)
    if copy is None or copy[0] != rules.get("digest"):
        return False
    return not copy[1](spec, rules["tables"])
