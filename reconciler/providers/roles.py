"""The `Role` kind over the Administration API: `organization/roles` and `projects/{id}/roles`
(custom roles: create, rename, change permissions, delete).

`RoleReader` is registered in `providers/registry.py` (`READERS`); apply calls `RoleProvider`.
Reads: one listing of the organization's roles when the stack declares or owns an organization
role, and one of each project's roles where it declares or owns a project role (the project
ids come from the stack's registry: a project this plan creates has no roles yet). Roles have
no metadata: the registry binds each one (live id: the role id, or `<project id>.<role id>`).
A create answered `duplicate_role_name` (a retry after a lost answer, or a project whose roles
were not read yet) adopts the role with that name instead of making a second.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from reconciler.errors import PermanentApiError
from reconciler.kinds.role import ORGANIZATION, ROLE, role_key
from reconciler.manifests import Stack
from reconciler.providers.admin_scoped import (
    bound_addresses,
    list_admin,
    list_in_project,
    scoped_id,
    split_scoped_id,
)
from reconciler.providers.base import KindProvider, Operation, ReadContext, ReadResult
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.ownership import OwnershipStore
from reconciler.state import LiveObject, Ownership

ROLES_PAGE_SIZE = 1000  # the largest page of both role listings


def list_org_roles(clients: Clients) -> list[Any]:
    return list_admin(
        clients, "the organization's roles", lambda org: org.roles.list(limit=ROLES_PAGE_SIZE)
    )


def list_project_roles(clients: Clients, project: str) -> list[Any] | None:
    return list_in_project(
        clients,
        "roles",
        project,
        lambda org: org.projects.roles.list(project, limit=ROLES_PAGE_SIZE),
    )


def _scopes(stack: Stack, ownership: Ownership) -> tuple[bool, set[str]]:
    """Whether organization roles are needed, and which projects' roles."""
    org = False
    projects: set[str] = set()
    for resource in stack.of_kind(ROLE):
        reference = next((r for r in resource.references if r.field[:1] == ("project",)), None)
        if reference is None:
            org = True
            continue
        entry = ownership.entry(reference.address)
        if entry is not None and entry.live_id:
            projects.add(entry.live_id)
    for address, entry in ownership.entries.items():
        if address.startswith(f"{ROLE}/") and entry.live_id:
            if "." in entry.live_id:
                projects.add(split_scoped_id(entry.live_id)[0])
            else:
                org = True
    return org, projects


def _pages(count: int) -> int:
    return max(1, -(-count // ROLES_PAGE_SIZE))


class RoleReader:
    kind = ROLE

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        prefix = f"{ROLE}/"
        return bool(stack.of_kind(ROLE)) or any(a.startswith(prefix) for a in ownership.entries)

    def read(self, ctx: ReadContext) -> ReadResult:
        ctx.clients.require_admin_key(f"read the custom roles of stack '{ctx.stack.name}'")
        org, projects = _scopes(ctx.stack, ctx.ownership)
        org_listing = ctx.submit(list_org_roles, ctx.clients) if org else None
        listings: dict[str, Future[list[Any] | None]] = {
            p: ctx.submit(list_project_roles, ctx.clients, p) for p in sorted(projects)
        }
        addresses = bound_addresses(ROLE, ctx.ownership)
        objects: list[LiveObject] = []
        minimum = 0
        if org_listing is not None:
            roles = org_listing.result()
            minimum += _pages(len(roles))
            objects += [role_object(None, r, ctx.ownership, addresses) for r in roles]
        for project, listing in listings.items():
            found = listing.result()
            minimum += _pages(len(found or ()))
            objects += [role_object(project, r, ctx.ownership, addresses) for r in found or ()]
        return ReadResult(tuple(objects), minimum)


def role_object(
    project: str | None, role: Any, ownership: Ownership, addresses: dict[str, str]
) -> LiveObject:
    live_id = str(role.id) if project is None else scoped_id(project, str(role.id))
    address = addresses.get(live_id)
    entry = ownership.entry(address) if address is not None else None
    attributes: dict[str, Any] = {
        "role_name": role.name,
        "permissions": sorted(set(role.permissions or ())),
        "description": role.description,
    }
    if project is not None:
        attributes["project"] = project
    return LiveObject(
        kind=ROLE,
        key=role_key(project or ORGANIZATION, str(role.name)),
        live_id=live_id,
        attributes=attributes,
        owned=bool(entry and entry.created),
        address=address,
        info={"predefined_role": bool(role.predefined_role)},
    )


class RoleProvider(KindProvider):
    kind = ROLE

    def __init__(self, clients: Clients, registry: OwnershipStore) -> None:
        self._clients = clients
        self._registry = registry

    def _roles(self, project: str | None) -> Any:
        org = self._clients.writer().admin.organization
        return org.roles if project is None else org.projects.roles

    def create(self, op: Operation) -> str:
        project = op.payload.get("project")
        name = str(op.payload["role_name"])
        fields = {
            "role_name": name,
            "permissions": list(op.payload["permissions"]),
            **({"description": op.payload["description"]} if "description" in op.payload else {}),
        }
        roles = self._roles(project)
        try:
            with self._clients.admin_slots, api_errors(f"create role '{name}'"):
                role = (
                    roles.create(**fields) if project is None else roles.create(project, **fields)
                )
            role_id = str(role.id)
        except PermanentApiError as error:
            if error.code != "duplicate_role_name":
                raise
            role_id = self._named(project, name)  # an earlier attempt's answer was lost
            self._update(project, role_id, fields)
        live_id = role_id if project is None else scoped_id(str(project), role_id)
        self._registry.record(op.address, live_id, created=True)
        return live_id

    def _named(self, project: str | None, name: str) -> str:
        listed = (
            list_org_roles(self._clients)
            if project is None
            else (list_project_roles(self._clients, project) or [])
        )
        for role in listed:
            if role.name == name and not role.predefined_role:
                return str(role.id)
        raise PermanentApiError(f"create role '{name}': not found after creating it")

    def _update(self, project: str | None, role_id: str, fields: dict[str, Any]) -> None:
        roles = self._roles(project)
        with self._clients.admin_slots, api_errors(f"update role {role_id}"):
            if project is None:
                roles.update(role_id, **fields)
            else:
                roles.update(role_id, project_id=project, **fields)

    def update(self, op: Operation) -> str:
        live_id = op.live_id
        project, role_id = split_scoped_id(live_id) if "." in live_id else (None, live_id)
        if "record_ownership" in op.payload:
            created = bool(op.payload["record_ownership"])
            self._registry.record(op.address, live_id, created=created)
        changed = {c.path.removeprefix("spec.").split("[")[0] for c in op.change.changes}
        fields = {name: op.payload[name] for name in changed if name in op.payload}
        fields.pop("project", None)
        if fields:
            self._update(project, role_id, fields)
        return live_id

    def delete(self, op: Operation) -> None:
        live_id = op.live_id
        project, role_id = split_scoped_id(live_id) if "." in live_id else (None, live_id)
        roles = self._roles(project)
        with self._clients.admin_slots, api_errors(f"delete role {role_id}", missing_ok=True):
            if project is None:
                roles.delete(role_id)
            else:
                roles.delete(role_id, project_id=project)
        if not op.change.deposed:
            self._registry.forget(op.address)
