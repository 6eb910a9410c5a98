"""The `ProjectMember` kind: an organization user's membership of a project, and its role.

Registered in `reconciler.models.KINDS`. Identity in the live system: the project and the
user's email (case-insensitive); the user must already belong to the organization (an
invite brings them). A new `role` is changed in place; another project or email is another
membership (a replace); deleting removes the user from the project (`--allow-delete`), and
only memberships the stack added, never ones it adopted.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reconciler.models.base import KindInfo, Spec

ProjectUserRole = Literal["owner", "member"]


class ProjectMemberSpec(Spec):
    """A user of the organization, by email, and the role they hold in a project."""

    email: str = Field(
        min_length=3,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The user's email (the API's `email`); the user must be in the organization.",
    )
    role: ProjectUserRole = Field(description="The user's role in the project: owner or member.")
    project: str | None = Field(
        default=None,
        description="A `Project/name` reference or a project id; the stack's default project "
        "if omitted.",
    )


KIND = KindInfo(
    kind="ProjectMember",
    spec_model=ProjectMemberSpec,
    reference_fields={"project": ("Project",)},
    replace_fields=frozenset({"project", "email"}),
    delete_verb="remove",
    identity="project + email",
    depends_on_project=True,
)
