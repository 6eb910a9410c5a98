"""The `Role` kind: a custom role (a name and its permissions) of the organization, or of one
project when `project` is set.

Registered in `reconciler.models.KINDS`. Identity: bound to the manifest by the stack's
ownership registry once created (so a new `role_name` renames in place); before that, a custom
role with the same name in the same scope is adopted. `permissions` is a set and changes in
place, as does `description`; another `project` (or none) is another role (a replace).
Deleting deletes a role the stack created (`--allow-delete`), never one it adopted; the
predefined roles (owner, reader, member, viewer, ...) are never managed.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from reconciler.models.base import KindInfo, Spec

PERMISSION_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
Permission = Annotated[str, Field(pattern=PERMISSION_PATTERN)]


class RoleSpec(Spec):
    """A custom role: its name, permissions and description, at organization or project level."""

    role_name: str = Field(
        min_length=1, max_length=200, description="The role's name (the API's `role_name`)."
    )
    permissions: list[Permission] = Field(
        min_length=1,
        max_length=500,
        description="Permissions granted, e.g. `api.groups.read` (a set: order is ignored).",
    )
    description: str | None = Field(
        default=None, max_length=1000, description="What the role is for."
    )
    project: str | None = Field(
        default=None,
        description="A `Project/name` reference: a project role; omit for an organization role.",
    )


KIND = KindInfo(
    kind="Role",
    spec_model=RoleSpec,
    reference_fields={"project": ("Project",)},
    replace_fields=frozenset({"project"}),
    identity="bound by the ownership registry, else its name in its scope (adopted)",
)
