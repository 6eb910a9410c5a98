"""Groups as project members (`ProjectMember` with `group: Group/name`) over the
Administration API: `organization/projects/{id}/groups` (one listing per project) and the
group's roles in the project, `projects/{id}/groups/{group_id}/roles` (one listing per group
the project holds: the project-groups listing carries no role, and the API has no listing of
every group's roles in a project).

Used by `providers/project_members.py` (its reader and provider) for the memberships whose
scoped live id `<project id>.<group id>` names a group (`is_group_id`). Adding a group that
is already in the project only assigns the role again, so a retried add does nothing twice;
a role change assigns the new role, then unassigns the others.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from reconciler.errors import PermanentApiError
from reconciler.kinds.project_member import group_member_key
from reconciler.manifests import Stack
from reconciler.models.project_member import ProjectMemberSpec
from reconciler.providers.admin_scoped import (
    PAGE_SIZE,
    list_admin,
    list_in_project,
    scoped_id,
    split_scoped_id,
)
from reconciler.providers.base import ReadContext
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.state import LiveObject, Ownership

KIND = "ProjectMember"
ROLE_ORDER = ("owner", "member", "viewer")  # the predefined project roles, strongest first


def is_group_id(object_id: str) -> bool:
    """A project member's object id that names a group (`group_…`), not a user (`user-…`)."""
    return object_id.startswith("group")


def declares_groups(stack: Stack, ownership: Ownership) -> bool:
    """The stack declares a group membership, or its registry binds one."""
    declared = any(
        isinstance(r.spec, ProjectMemberSpec) and r.spec.group is not None
        for r in stack.of_kind(KIND)
    )
    bound = any(
        address.startswith(f"{KIND}/")
        and entry.live_id is not None
        and "." in entry.live_id
        and is_group_id(split_scoped_id(entry.live_id)[1])
        for address, entry in ownership.entries.items()
    )
    return declared or bound


def list_project_groups(clients: Clients, project: str) -> list[Any] | None:
    return list_in_project(
        clients, "groups", project, lambda org: org.projects.groups.list(project, limit=PAGE_SIZE)
    )


def list_group_roles(clients: Clients, project: str, group_id: str) -> list[Any]:
    return list_admin(
        clients,
        f"the roles of group {group_id} in project {project}",
        lambda org: org.projects.groups.roles.list(group_id, project_id=project, limit=PAGE_SIZE),
    )


def role_name(roles: list[Any]) -> str | None:
    """The strongest predefined role among `roles` (a custom role is shown by its name)."""
    names = [str(getattr(r, "name", "")) for r in roles]
    for name in ROLE_ORDER:
        if name in names:
            return name
    return names[0] if names else None


def custom_role_ids(roles: list[Any]) -> list[str]:
    return sorted(str(r.id) for r in roles if not getattr(r, "predefined_role", False))


def _principal_roles(org: Any, principal: str) -> Any:
    return org.projects.groups.roles if principal == "group" else org.projects.users.roles


def list_member_roles(clients: Clients, project: str, principal: str, member_id: str) -> list[Any]:
    """The roles a user or group holds in a project (predefined and custom)."""
    return list_admin(
        clients,
        f"the roles of {principal} {member_id} in project {project}",
        lambda org: _principal_roles(org, principal).list(
            member_id, project_id=project, limit=PAGE_SIZE
        ),
    )


def set_custom_project_roles(
    clients: Clients, project: str, principal: str, member_id: str, wanted: list[str]
) -> None:
    """Assign the missing custom roles of `wanted` in the project, unassign the other custom
    ones (a fresh listing first, so a retry does nothing twice)."""
    held = set(custom_role_ids(list_member_roles(clients, project, principal, member_id)))
    roles = _principal_roles(clients.writer().admin.organization, principal)
    owner = {f"{principal}_id": member_id}
    for role_id in sorted(set(wanted) - held):
        with clients.admin_slots, api_errors(f"assign role {role_id} to {member_id}"):
            roles.create(member_id, project_id=project, role_id=role_id)
    for role_id in sorted(held - set(wanted)):
        what = f"unassign role {role_id} from {member_id} in project {project}"
        with clients.admin_slots, api_errors(what, missing_ok=True):
            roles.delete(role_id, project_id=project, **owner)


def read_group_members(
    ctx: ReadContext, projects: list[str], addresses: dict[str, str]
) -> tuple[list[LiveObject], int]:
    """Every group membership of `projects`, with its role; and the list pages it took."""
    listings = {p: ctx.submit(list_project_groups, ctx.clients, p) for p in projects}
    roles: dict[tuple[str, str], Future[list[Any]]] = {}
    held: dict[str, list[Any]] = {}
    minimum = 0
    for project, listing in listings.items():
        groups = listing.result() or []
        minimum += max(1, -(-len(groups) // PAGE_SIZE))
        held[project] = groups
        for group in groups:
            group_id = str(group.group_id)
            roles[(project, group_id)] = ctx.submit(
                list_group_roles, ctx.clients, project, group_id
            )
    objects = []
    for project, groups in held.items():
        for group in groups:
            group_id = str(group.group_id)
            assigned = roles[(project, group_id)].result()
            minimum += max(1, -(-len(assigned) // PAGE_SIZE))
            live_id = scoped_id(project, group_id)
            address = addresses.get(live_id)
            entry = ctx.ownership.entry(address) if address is not None else None
            objects.append(
                LiveObject(
                    kind=KIND,
                    key=group_member_key(project, group_id),
                    live_id=live_id,
                    attributes={
                        "project": project,
                        "group": group_id,
                        "role": role_name(assigned),
                        "roles": custom_role_ids(assigned),
                    },
                    owned=bool(entry and entry.created),
                    address=address,
                    created_at=int(group.created_at or 0),
                    info={"group_name": group.group_name},
                )
            )
    return objects, minimum


class GroupMemberships:
    """Adds a group to a project, changes its role, removes it."""

    def __init__(self, clients: Clients) -> None:
        self._clients = clients

    def _org(self) -> Any:
        return self._clients.writer().admin.organization

    def add(self, project: str, group_id: str, role: str) -> str:
        what = f"add group {group_id} to project {project} as {role}"
        with self._clients.admin_slots, api_errors(what):
            self._org().projects.groups.create(project, group_id=group_id, role=role)
        return scoped_id(project, group_id)

    def set_role(self, project: str, group_id: str, role: str) -> None:
        role_ids = {
            str(r.name): str(r.id)
            for r in list_admin(
                self._clients,
                f"the roles of project {project}",
                lambda org: org.projects.roles.list(project, limit=PAGE_SIZE),
            )
            if getattr(r, "predefined_role", False)
        }
        if role not in role_ids:
            raise PermanentApiError(f"project {project} has no predefined role '{role}'")
        group_roles = self._org().projects.groups.roles
        what = f"give group {group_id} the role {role} in project {project}"
        with self._clients.admin_slots, api_errors(what):
            group_roles.create(group_id, project_id=project, role_id=role_ids[role])
        for held in list_group_roles(self._clients, project, group_id):
            if str(held.id) == role_ids[role]:
                continue
            what = f"take role {held.name} from group {group_id} in project {project}"
            with self._clients.admin_slots, api_errors(what, missing_ok=True):
                group_roles.delete(str(held.id), project_id=project, group_id=group_id)

    def remove(self, project: str, group_id: str) -> None:
        what = f"remove group {group_id} from project {project}"
        with self._clients.admin_slots, api_errors(what, missing_ok=True):
            self._org().projects.groups.delete(group_id, project_id=project)
