"""The `Group` kind: a group of the organization's users, and who is in it (by email).

Registered in `reconciler.models.KINDS`. Identity: bound to the manifest by the stack's
ownership registry once created (so a new `name` renames in place); before that, a group with
the same name is adopted. `users` is the whole membership when declared (a user left out is
removed from the group; omit `users` to leave membership alone); a user must be in the
organization to be added. Deleting deletes a group the stack created (`--allow-delete`), never
one it adopted. Groups managed by SCIM are read-only: a manifest that would change one is an
error.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from reconciler.models.base import KindInfo, Spec
from reconciler.models.org_user import EMAIL_PATTERN, ORG_ROLES_DESCRIPTION, custom_roles_field

Email = Annotated[str, Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)]


class GroupSpec(Spec):
    """A group of the organization and its members."""

    name: str = Field(
        min_length=1, max_length=255, description="The group's name (renamed in place)."
    )
    users: list[Email] | None = Field(
        default=None,
        max_length=1000,
        description="The members, by email (any case): the whole set. Omit to leave the "
        "membership unmanaged.",
    )
    roles: list[str] | None = custom_roles_field(ORG_ROLES_DESCRIPTION)


KIND = KindInfo(
    kind="Group",
    spec_model=GroupSpec,
    reference_fields={"roles": ("Role",)},
    identity="bound by the ownership registry, else its name (adopted)",
)
