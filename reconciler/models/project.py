"""The `Project` kind: an organization project (Admin API `organization/projects`).

Registered in `reconciler.models.KINDS`; the loader validates `spec` against `ProjectSpec`.
Matched in the live system by name (or by `metadata.id` once imported); a new `spec.name` renames
in place; deleting archives, which cannot be undone, so the engine guards it.
"""

from __future__ import annotations

from pydantic import Field

from reconciler.models.base import KindInfo, Spec


class ProjectSpec(Spec):
    """An organization project; `name` is the API's project name, shown in reports."""

    name: str = Field(
        min_length=1,
        description="The friendly name of the project (the API's `name`); changing it renames.",
    )
    # Later settings hang off this spec with the API's own names: rate_limits, spend_limit,
    # spend_alerts, model and hosted-tool permissions, data_retention, service_tier_settings.
    # `residency` is create-only in the API: add it to KIND.replace_fields when it lands.


KIND = KindInfo(
    kind="Project",
    spec_model=ProjectSpec,
    replace_fields=frozenset(),
    immutable=False,
    delete_irreversible=True,
    delete_verb="archive",
    identity="name (or metadata.id when pinned)",
    depends_on_project=False,
)
