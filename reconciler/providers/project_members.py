"""The `ProjectMember` kind over the Administration API: `organization/projects/{id}/users` (one
listing per project); who is in the organization is read by `providers/org_users.py`.

`ProjectMemberReader` is registered in `providers/registry.py` (`READERS`); apply calls
`ProjectMemberProvider`. A membership has no metadata: the stack's ownership registry binds it
(live id `<project id>.<user id>`) after apply adds or adopts it. Adding a user again after a
lost response answers `user_already_in_project`: the retry then finds the member by email and
records it, so nothing is done twice.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from reconciler.errors import PermanentApiError
from reconciler.kinds.project_member import member_key
from reconciler.manifests import Stack
from reconciler.models.project_member import ProjectMemberSpec
from reconciler.providers.admin_scoped import (
    PAGE_SIZE,
    BoundScopedProvider,
    bound_addresses,
    kind_is_needed,
    list_in_project,
    projects_to_read,
    scoped_id,
    split_scoped_id,
)
from reconciler.providers.base import Operation, ReadContext, ReadResult
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.ownership import OwnershipStore
from reconciler.providers.project_groups import (
    GroupMemberships,
    custom_role_ids,
    declares_groups,
    is_group_id,
    list_member_roles,
    read_group_members,
    set_custom_project_roles,
)
from reconciler.state import LiveObject, Ownership

KIND = "ProjectMember"


def list_project_users(clients: Clients, project: str) -> list[Any] | None:
    return list_in_project(
        clients, "users", project, lambda org: org.projects.users.list(project, limit=PAGE_SIZE)
    )


def _pages(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


class ProjectMemberReader:
    kind = KIND

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        return kind_is_needed(KIND, stack, ownership)

    def read(self, ctx: ReadContext) -> ReadResult:
        ctx.clients.require_admin_key(f"read the project members of stack '{ctx.stack.name}'")
        listings = {
            project: ctx.submit(list_project_users, ctx.clients, project)
            for project in projects_to_read(KIND, ctx)
        }
        objects: list[LiveObject] = []
        minimum = 0
        addresses = bound_addresses(KIND, ctx.ownership)
        if declares_groups(ctx.stack, ctx.ownership):
            objects, minimum = read_group_members(ctx, sorted(listings), addresses)
        with_roles = _emails_with_roles(ctx.stack)
        roles: dict[str, Future[list[Any]]] = {}
        for project, listing in listings.items():
            members = listing.result()
            minimum += 1 if members is None else _pages(len(members))
            for member in members or ():
                obj = member_object(project, member, ctx.ownership, addresses)
                objects.append(obj)
                if obj.attributes["email"] in with_roles:
                    roles[obj.live_id] = ctx.submit(
                        list_member_roles, ctx.clients, project, "user", str(member.id)
                    )
        for index, obj in enumerate(objects):
            if obj.live_id in roles and "email" in obj.attributes:
                assigned = custom_role_ids(roles[obj.live_id].result())
                attributes = {**obj.attributes, "roles": assigned}
                objects[index] = obj.model_copy(update={"attributes": attributes})
        return ReadResult(tuple(objects), minimum + len(roles))


def _emails_with_roles(stack: Stack) -> set[str]:
    """The emails of the user memberships that declare custom `roles`."""
    return {
        r.spec.email.lower()
        for r in stack.of_kind(KIND)
        if isinstance(r.spec, ProjectMemberSpec) and r.spec.email and r.spec.roles is not None
    }


def member_object(
    project: str, member: Any, ownership: Ownership, addresses: dict[str, str]
) -> LiveObject:
    live_id = scoped_id(project, str(member.id))
    address = addresses.get(live_id)
    entry = ownership.entry(address) if address is not None else None
    email = str(member.email or "").lower()
    return LiveObject(
        kind=KIND,
        key=member_key(project, email),
        live_id=live_id,
        attributes={"project": project, "email": email, "role": member.role},
        owned=bool(entry and entry.created),
        address=address,
        created_at=int(member.added_at or 0),
    )


class ProjectMemberProvider(BoundScopedProvider):
    kind = KIND

    def __init__(self, clients: Clients, registry: OwnershipStore) -> None:
        self._clients = clients
        self._registry = registry
        self._groups = GroupMemberships(clients)

    def _users(self) -> Any:
        return self._clients.writer().admin.organization.projects.users

    def create(self, op: Operation) -> str:
        if op.payload.get("group") is not None:
            project, group_id = str(op.payload["project"]), str(op.payload["group"])
            live_id = self._groups.add(project, group_id, str(op.payload["role"]))
            self._registry.record(op.address, live_id, created=True)
            self._set_roles(live_id, op)
            return live_id
        project, email, role = _payload(op)
        try:
            with self._clients.admin_slots, api_errors(f"add {email} to project {project}"):
                member = self._users().create(project, email=email, role=role)
        except PermanentApiError as error:
            if error.code != "user_already_in_project":
                raise
            member = self._find(project, email)  # an earlier attempt's answer was lost
            if member.role != role:
                self._set_role(project, str(member.id), role)
        live_id = scoped_id(project, str(member.id))
        self._registry.record(op.address, live_id, created=True)
        self._set_roles(live_id, op)
        return live_id

    def _set_roles(self, live_id: str, op: Operation) -> None:
        """The member's custom project roles, when the manifest declares `roles`."""
        if "roles" not in op.payload:
            return
        project, member_id = split_scoped_id(live_id)
        wanted = [  # resolved references are Role live ids: `<project id>.<role id>`
            str(v).rpartition(".")[2] for k, v in op.payload.items() if k.startswith("roles.")
        ]
        principal = "group" if is_group_id(member_id) else "user"
        set_custom_project_roles(self._clients, project, principal, member_id, wanted)

    def _find(self, project: str, email: str) -> Any:
        for member in list_project_users(self._clients, project) or ():
            if str(member.email or "").lower() == email:
                return member
        raise PermanentApiError(f"add {email} to project {project}: not found after adding it")

    def _set_role(self, project: str, user_id: str, role: str) -> None:
        with self._clients.admin_slots, api_errors(f"set the role of {user_id} in {project}"):
            self._users().update(user_id, project_id=project, role=role)

    def update(self, op: Operation) -> str:
        live_id = op.live_id
        project, user_id = split_scoped_id(live_id)
        if any(change.path == "spec.role" for change in op.change.changes):
            if is_group_id(user_id):
                self._groups.set_role(project, user_id, str(op.payload["role"]))
            else:
                self._set_role(project, user_id, str(op.payload["role"]))
        if any(change.path.startswith("spec.roles") for change in op.change.changes):
            self._set_roles(live_id, op)
        if "record_ownership" in op.payload:
            self._registry.record(op.address, live_id, created=bool(op.payload["record_ownership"]))
        return live_id

    def _remove(self, live_id: str) -> None:
        project, user_id = split_scoped_id(live_id)
        if is_group_id(user_id):
            self._groups.remove(project, user_id)
            return
        with (
            self._clients.admin_slots,
            api_errors(f"remove {user_id} from project {project}", missing_ok=True),
        ):
            self._users().delete(user_id, project_id=project)


def _payload(op: Operation) -> tuple[str, str, str]:
    return str(op.payload["project"]), str(op.payload["email"]).lower(), str(op.payload["role"])
