"""The `Organization` kind: the organization's own settings (`data_retention`, `spend_limit`,
`spend_alerts`, which `certificates` are active), each optional and compared field by field.

Registered in `reconciler.models.KINDS`. There is one organization (the admin key's), so a stack
declares at most one `Organization` manifest; it is never created or deleted: removing the
manifest, or a setting from it, stops managing that setting and leaves it as it is.
"""

from __future__ import annotations

from pydantic import Field

from reconciler.models.base import KindInfo, Spec
from reconciler.models.project import DataRetention, SpendAlert, SpendLimit


class OrganizationSpec(Spec):
    """The organization's settings; a setting left out is never read or touched."""

    spend_limit: SpendLimit | None = Field(
        default=None, description="The organization's monthly spend limit, in US cents."
    )
    spend_alerts: list[SpendAlert] | None = Field(
        default=None,
        description="Every spend alert of the organization (one per threshold); others are "
        "deleted.",
    )
    data_retention: DataRetention | None = Field(
        default=None, description="The organization's data retention (`retention_type`)."
    )
    certificates: list[str] | None = Field(
        default=None,
        max_length=100,
        description="The certificates active in the organization, by id (`cert_…`) or name: "
        "the whole set (others are deactivated). Uploaded certificates only.",
    )


KIND = KindInfo(
    kind="Organization",
    spec_model=OrganizationSpec,
    identity="the organization of OPENAI_ADMIN_KEY (one per stack)",
)
