"""The kind registry: every manifest kind, its spec model and its lifecycle facts.

The loader looks a document's `kind:` up in `KINDS`; the planner and engine read the same
`KindInfo`. Adding a kind = one module defining `KIND = KindInfo(...)` + one line below.
`write_schemas` (used by `reconciler schema` and a test) writes the JSON Schema of every kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from reconciler.models import (
    batch,
    dataset,
    eval,
    eval_run,
    fine_tune,
    group,
    invite,
    moderation_policy,
    org_user,
    organization,
    project,
    project_member,
    promotion,
    role,
    service_account,
)
from reconciler.models.base import (
    API_VERSION,
    KindInfo,
    Metadata,
    Reference,
    Resource,
    Spec,
    SpecProblem,
)

KINDS: Mapping[str, KindInfo] = MappingProxyType(
    {
        info.kind: info
        for info in (
            project.KIND,
            dataset.KIND,
            project_member.KIND,
            service_account.KIND,
            batch.KIND,
            moderation_policy.KIND,
            fine_tune.KIND,
            eval.KIND,
            eval_run.KIND,
            promotion.KIND,
            org_user.KIND,
            invite.KIND,
            group.KIND,
            role.KIND,
            organization.KIND,
        )
    }
)


def write_schemas(directory: Path) -> list[Path]:
    """Write `<kind>.schema.json` per kind and `reconciler.schema.json`; return the paths."""
    from reconciler.models.schemas import write_schemas as write

    return write(directory, KINDS)


__all__ = [
    "API_VERSION",
    "KINDS",
    "KindInfo",
    "Metadata",
    "Reference",
    "Resource",
    "Spec",
    "SpecProblem",
    "write_schemas",
]
