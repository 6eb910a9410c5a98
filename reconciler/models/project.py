"""The `Project` kind: an organization project (Admin API `organization/projects`).

Registered in `reconciler.models.KINDS`; the loader validates `spec` against `ProjectSpec`.
Matched in the live system by name (or by `metadata.id` once imported); a new `spec.name` renames
in place; deleting archives, which cannot be undone, so the engine guards it. Settings are
optional and use the API's own names; only the declared ones are compared (`kinds/project.py`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reconciler.models.base import KindInfo, Spec

RATE_LIMIT_FIELDS = (
    "max_requests_per_1_minute",
    "max_tokens_per_1_minute",
    "max_images_per_1_minute",
    "max_audio_megabytes_per_1_minute",
    "max_requests_per_1_day",
    "batch_1_day_max_input_tokens",
)
"""The fields of the API's `project.rate_limit` (and of its update request)."""

Residency = Literal[
    "GLOBAL",
    "US_STORAGE_PROCESSING",
    "EU_STORAGE_PROCESSING",
    "JP_STORAGE",
    "KR_STORAGE",
    "CA_STORAGE",
    "SG_STORAGE",
    "IN_STORAGE",
    "AU_STORAGE",
    "GB_STORAGE",
    "AE_STORAGE",
    "AE_STORAGE_PROCESSING",
]
RetentionType = Literal[
    "organization_default",
    "none",
    "zero_data_retention",
    "modified_abuse_monitoring",
    "enhanced_zero_data_retention",
    "enhanced_modified_abuse_monitoring",
]


class RateLimit(Spec):
    """One model's limits in a project (`project.rate_limit`); an omitted field is not managed."""

    max_requests_per_1_minute: int | None = Field(default=None, ge=1)
    max_tokens_per_1_minute: int | None = Field(default=None, ge=1)
    max_images_per_1_minute: int | None = Field(default=None, ge=1)
    max_audio_megabytes_per_1_minute: int | None = Field(default=None, ge=1)
    max_requests_per_1_day: int | None = Field(default=None, ge=1)
    batch_1_day_max_input_tokens: int | None = Field(default=None, ge=1)

    def declared(self) -> dict[str, int]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class SpendLimit(Spec):
    """The project's hard monthly budget (`project.spend_limit`), in US cents."""

    threshold_amount: int = Field(ge=1, description="The limit in US cents.")
    currency: Literal["USD"] = "USD"
    interval: Literal["month"] = "month"


class NotificationChannel(Spec):
    """Where a spend alert goes (the API's `notification_channel`)."""

    type: Literal["email"] = "email"
    recipients: list[str] = Field(min_length=1)
    subject_prefix: str | None = None


class SpendAlert(Spec):
    """A monthly spend alert (`project.spend_alert`), known by its `threshold_amount` (cents)."""

    threshold_amount: int = Field(ge=0, description="The alert threshold in US cents.")
    currency: Literal["USD"] = "USD"
    interval: Literal["month"] = "month"
    notification_channel: NotificationChannel


class ModelPermissions(Spec):
    """Which models the project may call (`project.model_permissions`)."""

    mode: Literal["allow_list", "deny_list"]
    model_ids: list[str]


class HostedTool(Spec):
    enabled: bool


class HostedToolPermissions(Spec):
    """Hosted tools switched on or off (`project.hosted_tool_permissions`); omitted: untouched."""

    file_search: HostedTool | None = None
    web_search: HostedTool | None = None
    image_generation: HostedTool | None = None
    mcp: HostedTool | None = None
    code_interpreter: HostedTool | None = None


class DataRetention(Spec):
    """The project's data retention (`project.data_retention`; the update's `retention_type`)."""

    retention_type: RetentionType


class ProjectSpec(Spec):
    """An organization project; `name` is the API's project name, shown in reports."""

    name: str = Field(
        min_length=1,
        description="The friendly name of the project (the API's `name`); changing it renames.",
    )
    residency: Residency | None = Field(
        default=None,
        description="Set when the project is created; it cannot change afterwards.",
    )
    rate_limits: dict[str, RateLimit] | None = Field(
        default=None,
        description="Per model (the API's model id): the limits to set; other models untouched.",
    )
    spend_limit: SpendLimit | None = None
    spend_alerts: list[SpendAlert] | None = Field(
        default=None,
        description="Every alert of the project (one per threshold); others are deleted.",
    )
    model_permissions: ModelPermissions | None = None
    hosted_tool_permissions: HostedToolPermissions | None = None
    data_retention: DataRetention | None = None
    certificates: list[str] | None = Field(
        default=None,
        max_length=100,
        description="The certificates active in the project, by id (`cert_…`): the whole set "
        "(others are deactivated in the project).",
    )
    revoke_unmanaged_keys: bool | None = Field(
        default=None,
        description="Inventory the project's API keys that no manifest accounts for (keys "
        "of users, and of service accounts this stack does not declare): false lists them "
        "as plan and drift warnings; true also revokes the users' keys (delete lines, run "
        "with --allow-delete). The key the run itself uses is never listed or revoked.",
    )


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
