"""The `Group` kind over the Administration API: `organization/groups` (one listing) and
`organization/groups/{id}/users` (one listing per group the stack declares or owns).

`GroupReader` is registered in `providers/registry.py` (`READERS`); apply calls `GroupProvider`.
Groups have no metadata: the stack's ownership registry binds a group to its manifest right
after apply creates or adopts it. A create retried after a lost answer first looks for an
unbound group with the name (the one the lost attempt made), or the one an earlier attempt
already bound to this manifest before a later step (members, roles) failed, instead of making a
second. Member changes are computed against a fresh listing of the group's users at apply
time (adding a member twice is harmless; removing one already gone is not an error).
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from reconciler.kinds.group import GROUP
from reconciler.kinds.role import resolved_roles
from reconciler.manifests import Stack
from reconciler.models.group import GroupSpec
from reconciler.providers.admin_scoped import PAGE_SIZE, bound_addresses, list_admin
from reconciler.providers.base import KindProvider, Operation, ReadContext, ReadResult
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.org_users import pages
from reconciler.providers.ownership import OwnershipStore
from reconciler.providers.role_assignments import list_custom_roles, set_custom_roles
from reconciler.state import LiveObject, Ownership


def list_groups(clients: Clients) -> list[Any]:
    return list_admin(
        clients, "the organization's groups", lambda org: org.groups.list(limit=PAGE_SIZE)
    )


def list_group_users(clients: Clients, group_id: str) -> list[Any]:
    return list_admin(
        clients,
        f"the users of group {group_id}",
        lambda org: org.groups.users.list(group_id, limit=PAGE_SIZE),
    )


class GroupReader:
    kind = GROUP

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        prefix = f"{GROUP}/"
        return bool(stack.of_kind(GROUP)) or any(a.startswith(prefix) for a in ownership.entries)

    def read(self, ctx: ReadContext) -> ReadResult:
        ctx.clients.require_admin_key(f"read the organization's groups for '{ctx.stack.name}'")
        groups = list_groups(ctx.clients)
        addresses = bound_addresses(GROUP, ctx.ownership)
        members: dict[str, Future[list[Any]]] = {}
        roles: dict[str, Future[list[str]]] = {}
        for group in groups:
            group_id = str(group.id)
            if str(group.id) in addresses or _declares(ctx.stack, group.name, "users"):
                members[group_id] = ctx.submit(list_group_users, ctx.clients, group_id)
            if _declares(ctx.stack, group.name, "roles", addresses.get(group_id)):
                roles[group_id] = ctx.submit(list_custom_roles, ctx.clients, "group", group_id)
        minimum = pages(len(groups)) + len(roles)
        objects = []
        for group in groups:
            listing = members.get(str(group.id))
            users = None if listing is None else listing.result()
            minimum += 0 if users is None else pages(len(users))
            obj = group_object(group, users, ctx.ownership, addresses)
            if str(group.id) in roles:
                assigned = roles[str(group.id)].result()
                obj = obj.model_copy(update={"attributes": {**obj.attributes, "roles": assigned}})
            objects.append(obj)
        return ReadResult(tuple(objects), minimum)


def _declares(stack: Stack, name: str, field: str, address: str | None = None) -> bool:
    """A Group manifest bound to `address`, or else named `name`, declares `field`."""
    bound = stack.resources.get(address) if address is not None else None
    candidates = (
        [bound]
        if bound is not None
        else [
            r for r in stack.of_kind(GROUP) if isinstance(r.spec, GroupSpec) and r.spec.name == name
        ]
    )
    return any(getattr(r.spec, field, None) is not None for r in candidates)


def group_object(
    group: Any, users: list[Any] | None, ownership: Ownership, addresses: dict[str, str]
) -> LiveObject:
    address = addresses.get(str(group.id))
    entry = ownership.entry(address) if address is not None else None
    attributes: dict[str, Any] = {"name": group.name}
    if users is not None:
        attributes["users"] = sorted(str(u.email or "").lower() for u in users)
    return LiveObject(
        kind=GROUP,
        key=str(group.name),
        live_id=str(group.id),
        attributes=attributes,
        owned=bool(entry and entry.created),
        address=address,
        created_at=int(group.created_at or 0),
        info={"is_scim_managed": bool(getattr(group, "is_scim_managed", None))},
    )


class GroupProvider(KindProvider):
    kind = GROUP

    def __init__(self, clients: Clients, registry: OwnershipStore) -> None:
        self._clients = clients
        self._registry = registry

    def _groups(self) -> Any:
        return self._clients.writer().admin.organization.groups

    def create(self, op: Operation) -> str:
        name = str(op.payload["name"])
        ownership = self._registry.ownership()
        mine = ownership.entry(op.address)  # recorded by an attempt that failed after it
        bound = {e.live_id for e in ownership.entries.values() if e.live_id} - {
            mine.live_id if mine is not None else None
        }
        earlier = [g for g in list_groups(self._clients) if g.name == name and g.id not in bound]
        if earlier:  # made by an attempt whose answer was lost, or that failed later
            group_id = str(min(earlier, key=lambda g: (g.created_at, g.id)).id)
        else:
            with self._clients.admin_slots, api_errors(f"create group '{name}'"):
                group_id = str(self._groups().create(name=name).id)
        self._registry.record(op.address, group_id, created=True)
        self._set_members(group_id, op)
        if "roles" in op.payload:
            set_custom_roles(self._clients, "group", group_id, resolved_roles(op.payload))
        return group_id

    def update(self, op: Operation) -> str:
        group_id = op.live_id
        if "record_ownership" in op.payload:
            self._registry.record(
                op.address, group_id, created=bool(op.payload["record_ownership"])
            )
        if any(change.path == "spec.name" for change in op.change.changes):
            name = str(op.payload["name"])
            with self._clients.admin_slots, api_errors(f"rename group {group_id} to '{name}'"):
                self._groups().update(group_id, name=name)
        if any(change.path.startswith("spec.users") for change in op.change.changes):
            self._set_members(group_id, op)
        if any(change.path.startswith("spec.roles") for change in op.change.changes):
            set_custom_roles(self._clients, "group", group_id, resolved_roles(op.payload))
        return group_id

    def _set_members(self, group_id: str, op: Operation) -> None:
        if "users" not in op.payload:
            return
        user_ids: dict[str, str] = dict(op.payload.get("user_ids") or {})
        live = {
            str(u.email or "").lower(): str(u.id) for u in list_group_users(self._clients, group_id)
        }
        users = self._groups().users
        for email in sorted(set(user_ids) - set(live)):
            with self._clients.admin_slots, api_errors(f"add {email} to group {group_id}"):
                users.create(group_id, user_id=user_ids[email])
        for email in sorted(set(live) - set(user_ids)):
            what = f"remove {email} from group {group_id}"
            with self._clients.admin_slots, api_errors(what, missing_ok=True):
                users.delete(live[email], group_id=group_id)

    def delete(self, op: Operation) -> None:
        group_id = op.live_id
        with self._clients.admin_slots, api_errors(f"delete group {group_id}", missing_ok=True):
            self._groups().delete(group_id)
        if not op.change.deposed:
            self._registry.forget(op.address)
