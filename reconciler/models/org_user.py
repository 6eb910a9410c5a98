"""The `OrgUser` kind: a user of the organization and their organization role.

Registered in `reconciler.models.KINDS`. Users are never created: an `Invite` brings them, and
the first apply that finds the user (by email, any case) adopts them, recording the binding in
the stack's ownership registry. `role` changes in place. A user whose manifest is gone is
removed from the organization only with `apply --allow-delete --allow-remove-users`. Users
managed by SCIM (`is_scim_managed`) are read-only: a manifest that would change one is an error.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from reconciler.models.base import KindInfo, Spec

ORG_ROLES_DESCRIPTION = (
    "Custom organization roles assigned, as `Role/name` references (the whole set). Omit to "
    "leave assignments unmanaged."
)


def custom_roles_field(description: str) -> Any:
    """`roles:` of OrgUser, Group and ProjectMember: `Role/name` references, the whole set."""
    return Field(default=None, max_length=100, description=description)


OrgRole = Literal["owner", "reader"]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"
REMOVE_USERS_FLAG = "--allow-remove-users"


class OrgUserSpec(Spec):
    """A user of the organization, by email, and their role in it."""

    email: str = Field(
        min_length=3,
        max_length=320,
        pattern=EMAIL_PATTERN,
        description="The user's email (the API's `email`, any case); an Invite brings them.",
    )
    role: OrgRole = Field(description="The user's organization role: owner or reader.")
    roles: list[str] | None = custom_roles_field(ORG_ROLES_DESCRIPTION)


KIND = KindInfo(
    kind="OrgUser",
    spec_model=OrgUserSpec,
    reference_fields={"roles": ("Role",)},
    delete_verb="remove from the organization",
    delete_flag=REMOVE_USERS_FLAG,
    identity="email (adopted, never created)",
)
