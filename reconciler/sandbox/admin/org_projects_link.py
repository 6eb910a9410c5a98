"""The seam between organization members (this half) and project members (`project_members`).

An accepted invite grants project memberships: the membership records (`"project_user"`) belong
to the projects half, so they are written through its `add_member`. A removed user needs no
call: the projects half hides memberships whose `"org_user"` has gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..http import Obj
from . import project_members
from .common import AdminContext

if TYPE_CHECKING:
    from ..state import Sandbox


def active_project(sandbox: Sandbox, project_id: str) -> Obj | None:
    project = sandbox.store.get("project", project_id)
    if project is None or project.get("status", "active") != "active":
        return None
    return project


def add_user_to_project(context: AdminContext, project_id: str, user: Obj, role: str) -> None:
    project_members.add_member(context, project_id, user["id"], role)
