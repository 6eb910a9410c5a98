"""The `Invite` kind: an invitation to join the organization, with its role and projects.

Registered in `reconciler.models.KINDS`. Identity: the email (any case). An invite is sent once;
while it is `pending` the plan shows it and when it expires, and an `expired` one is sent again.
Once the user is in the organization the invite is done (`accepted`): the user's role is then
an `OrgUser`'s, their projects `ProjectMember`s'. Invites cannot be edited: another `role` or
`projects` of a pending invite is a replace (the pending one is revoked, then a new one sent).
Deleting revokes a pending invite the stack sent (`--allow-delete`); an accepted one is left.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.models.base import KindInfo, Spec
from reconciler.models.org_user import EMAIL_PATTERN, OrgRole


class InviteProject(BaseModel):
    """A project the user joins when they accept (the API's `projects[]`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, description="A `Project/name` reference.")
    role: Literal["member", "owner"] = Field(
        default="member", description="The user's role in that project."
    )


class InviteSpec(Spec):
    """Who is invited, with which organization role, into which projects."""

    email: str = Field(
        min_length=3,
        max_length=320,
        pattern=EMAIL_PATTERN,
        description="The address the invitation is sent to.",
    )
    role: OrgRole = Field(default="reader", description="The organization role: reader or owner.")
    projects: list[InviteProject] = Field(
        default_factory=list,
        max_length=100,
        description="Projects joined on acceptance; none when empty (the API's legacy default "
        "project is never implied).",
    )


KIND = KindInfo(
    kind="Invite",
    spec_model=InviteSpec,
    reference_fields={"projects[].id": ("Project",)},
    replace_fields=frozenset({"email", "role", "projects"}),
    delete_verb="revoke",
    identity="email",
)
