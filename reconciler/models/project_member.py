"""The `ProjectMember` kind: a user's (or a group's) membership of a project, and its role.

Registered in `reconciler.models.KINDS`. Identity in the live system: the project and the
user's email (case-insensitive), or the project and the group (`group: Group/name`); the user
must already belong to the organization (an invite brings them). A new `role` is changed in
place; another project, email or group is another membership (a replace); deleting removes
the user or group from the project (`--allow-delete`), and only memberships the stack added,
never ones it adopted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from reconciler.models.base import KindInfo, Spec, SpecProblem
from reconciler.models.org_user import custom_roles_field

ProjectUserRole = Literal["owner", "member"]


class ProjectMemberSpec(Spec):
    """A user of the organization (by email) or a group, and the role it holds in a project."""

    email: str | None = Field(
        default=None,
        min_length=3,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The user's email (the API's `email`); the user must be in the organization.",
    )
    group: str | None = Field(
        default=None,
        description="A `Group/name` reference, instead of `email`: the group's role in the "
        "project.",
    )
    role: ProjectUserRole = Field(description="The role in the project: owner or member.")
    roles: list[str] | None = custom_roles_field(
        "Custom roles of the same project assigned too, as `Role/name` references (the whole "
        "set). Omit to leave them unmanaged."
    )
    project: str | None = Field(
        default=None,
        description="A `Project/name` reference or a project id; the stack's default project "
        "if omitted.",
    )

    def problems(self) -> Iterator[SpecProblem]:
        if (self.email is None) == (self.group is None):
            yield SpecProblem(
                ("email",),
                "a ProjectMember names exactly one of `email` (a user) or `group` (a group)",
                hint="write `email: someone@example.com` or `group: Group/<name>`",
            )


KIND = KindInfo(
    kind="ProjectMember",
    spec_model=ProjectMemberSpec,
    reference_fields={"project": ("Project",), "group": ("Group",), "roles": ("Role",)},
    replace_fields=frozenset({"project", "email", "group"}),
    delete_verb="remove",
    identity="project + email (or group)",
    depends_on_project=True,
)
