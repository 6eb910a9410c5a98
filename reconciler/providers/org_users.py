"""The organization's users and invites over the Administration API: `organization/users` and
`organization/invites`, one listing each, for the `OrgUser` and `Invite` kinds (and the user
view `ProjectMember` reads).

`OrgUserReader` and `InviteReader` are registered in `providers/registry.py` (`READERS`); apply
calls `OrgUserProvider` (role in place; removal, which the plan guards with
`--allow-remove-users`) and `InviteProvider` (send, revoke). Users are never created. The users
listing asks for the declared emails only (one page) unless the stack's registry binds a user
no manifest declares any more (its email is not known then: every user is listed). A retried
invite answered `invite_exists` finds the pending invite an earlier attempt sent and records it,
so nothing is sent twice.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import PermanentApiError
from reconciler.kinds.invite import invite_projects
from reconciler.kinds.org_user import INVITE, ORG_USER
from reconciler.kinds.role import resolved_roles
from reconciler.manifests import Stack
from reconciler.models.org_user import OrgUserSpec
from reconciler.providers.admin_scoped import PAGE_SIZE, bound_addresses, list_admin
from reconciler.providers.base import KindProvider, Operation, ReadContext, ReadResult
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.ownership import OwnershipStore
from reconciler.providers.role_assignments import list_custom_roles, set_custom_roles
from reconciler.state import LiveObject, Ownership

EMAIL_FILTER_MAX = 100  # up to this many declared emails, the users listing asks for them only
USER_KINDS = (ORG_USER, INVITE, "ProjectMember", "Group")
"""Kinds whose manifests name users by email (`email`, a Group's `users`): any of them needs
the users listing."""


def declared_emails(stack: Stack) -> set[str]:
    emails = set()
    for kind in USER_KINDS:
        for resource in stack.of_kind(kind):
            email = getattr(resource.spec, "email", None)
            if isinstance(email, str):
                emails.add(email.lower())
            emails.update(e.lower() for e in getattr(resource.spec, "users", None) or ())
    return emails


def _binds(kind: str, ownership: Ownership) -> bool:
    return any(address.startswith(f"{kind}/") for address in ownership.entries)


def _orphan_bindings(kind: str, stack: Stack, ownership: Ownership) -> bool:
    """The registry binds an object of `kind` that no manifest declares any more."""
    prefix = f"{kind}/"
    return any(a.startswith(prefix) and a not in stack.resources for a in ownership.entries)


def list_org_users(clients: Clients, emails: list[str] | None) -> list[Any]:
    """The organization's users: only those with `emails` when given (one page), else all."""

    def listing(org: Any) -> Any:
        if emails is not None:
            return org.users.list(emails=emails, limit=PAGE_SIZE)
        return org.users.list(limit=PAGE_SIZE)

    return list_admin(clients, "the organization's users", listing)


def list_invites(clients: Clients) -> list[Any]:
    return list_admin(
        clients, "the organization's invites", lambda org: org.invites.list(limit=PAGE_SIZE)
    )


def pages(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


class OrgUserReader:
    kind = ORG_USER

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        return any(stack.of_kind(kind) for kind in USER_KINDS) or _binds(ORG_USER, ownership)

    def read(self, ctx: ReadContext) -> ReadResult:
        ctx.clients.require_admin_key(f"read the organization's users for '{ctx.stack.name}'")
        emails: list[str] | None = sorted(declared_emails(ctx.stack))
        if (emails is not None and len(emails) > EMAIL_FILTER_MAX) or _orphan_bindings(
            ORG_USER, ctx.stack, ctx.ownership
        ):
            emails = None
        users = list_org_users(ctx.clients, emails)
        addresses = bound_addresses(ORG_USER, ctx.ownership)
        with_roles = {
            r.spec.email.lower()
            for r in ctx.stack.of_kind(ORG_USER)
            if isinstance(r.spec, OrgUserSpec) and r.spec.roles is not None
        }
        roles = {
            str(u.id): ctx.submit(list_custom_roles, ctx.clients, "user", str(u.id))
            for u in users
            if str(u.email or "").lower() in with_roles
        }
        objects = []
        for user in users:
            obj = org_user_object(user, ctx.ownership, addresses)
            if str(user.id) in roles:
                assigned = roles[str(user.id)].result()
                obj = obj.model_copy(update={"attributes": {**obj.attributes, "roles": assigned}})
            objects.append(obj)
        return ReadResult(tuple(objects), pages(len(users)) + len(roles))


def org_user_object(user: Any, ownership: Ownership, addresses: dict[str, str]) -> LiveObject:
    email = str(user.email or "").lower()
    address = addresses.get(str(user.id))
    entry = ownership.entry(address) if address is not None else None
    return LiveObject(
        kind=ORG_USER,
        key=email,
        live_id=str(user.id),
        attributes={"email": email, "role": user.role},
        owned=bool(entry and entry.created),
        address=address,
        created_at=int(user.added_at or 0),
        info={"is_scim_managed": bool(getattr(user, "is_scim_managed", None))},
    )


class OrgUserProvider(KindProvider):
    """Changes a user's organization role, removes a user; never creates one."""

    kind = ORG_USER

    def __init__(self, clients: Clients, registry: OwnershipStore) -> None:
        self._clients = clients
        self._registry = registry

    def _users(self) -> Any:
        return self._clients.writer().admin.organization.users

    def create(self, op: Operation) -> str:
        raise PermanentApiError(f"{op.address}: users are never created; an Invite brings them")

    def update(self, op: Operation) -> str:
        user_id = op.live_id
        if any(change.path == "spec.role" for change in op.change.changes):
            role = str(op.payload["role"])
            with self._clients.admin_slots, api_errors(f"set the role of {user_id} to {role}"):
                self._users().update(user_id, role=role)
        if any(change.path.startswith("spec.roles") for change in op.change.changes):
            set_custom_roles(self._clients, "user", user_id, resolved_roles(op.payload))
        if "record_ownership" in op.payload:
            self._registry.record(op.address, user_id, created=bool(op.payload["record_ownership"]))
        return user_id

    def delete(self, op: Operation) -> None:
        user_id = op.live_id
        what = f"remove {op.change.live_attributes.get('email', user_id)} from the organization"
        with self._clients.admin_slots, api_errors(what, missing_ok=True):
            self._users().delete(user_id)
        self._registry.forget(op.address)


class InviteReader:
    kind = INVITE

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        return bool(stack.of_kind(INVITE)) or _binds(INVITE, ownership)

    def read(self, ctx: ReadContext) -> ReadResult:
        ctx.clients.require_admin_key(f"read the organization's invites for '{ctx.stack.name}'")
        invites = list_invites(ctx.clients)
        addresses = bound_addresses(INVITE, ctx.ownership)
        objects = tuple(invite_object(invite, ctx.ownership, addresses) for invite in invites)
        return ReadResult(objects, pages(len(invites)))


def invite_object(invite: Any, ownership: Ownership, addresses: dict[str, str]) -> LiveObject:
    """An invite; an accepted one is bound to no address (it is done: nothing to revoke)."""
    status = str(invite.status)
    address = addresses.get(str(invite.id)) if status != "accepted" else None
    entry = ownership.entry(address) if address is not None else None
    projects = [{"id": p.id, "role": p.role} for p in invite.projects or ()]
    email = str(invite.email).lower()
    return LiveObject(
        kind=INVITE,
        key=email,
        live_id=str(invite.id),
        attributes={"email": email, "role": invite.role, "projects": invite_projects(projects)},
        owned=bool(entry and entry.created),
        address=address,
        status=status,
        created_at=int(invite.created_at or 0),
        info={"expires_at": invite.expires_at, "accepted_at": invite.accepted_at},
    )


class InviteProvider(KindProvider):
    """Sends an invite (or finds the one a lost answer sent), revokes a pending one."""

    kind = INVITE

    def __init__(self, clients: Clients, registry: OwnershipStore) -> None:
        self._clients = clients
        self._registry = registry

    def _invites(self) -> Any:
        return self._clients.writer().admin.organization.invites

    def create(self, op: Operation) -> str:
        email = str(op.payload["email"])
        projects = [
            {"id": str(op.payload.get(f"projects.{i}.id", grant["id"])), "role": grant["role"]}
            for i, grant in enumerate(op.payload["projects"])
        ]
        try:
            with self._clients.admin_slots, api_errors(f"invite {email}"):
                invite = self._invites().create(
                    email=email, role=str(op.payload["role"]), projects=projects
                )
            live_id = str(invite.id)
        except PermanentApiError as error:
            if error.code not in ("invite_exists", "user_already_exists"):
                raise
            live_id = self._sent_to(email)  # an earlier attempt's answer was lost
        self._registry.record(op.address, live_id, created=True)
        return live_id

    def _sent_to(self, email: str) -> str:
        """The newest pending (else accepted) invite to `email`."""
        mine = [i for i in list_invites(self._clients) if str(i.email).lower() == email.lower()]
        for status in ("pending", "accepted"):
            found = [i for i in mine if i.status == status]
            if found:
                return str(max(found, key=lambda i: int(i.created_at or 0)).id)
        raise PermanentApiError(f"invite {email}: no invite found after sending one")

    def update(self, op: Operation) -> str:
        live_id = op.live_id  # invites cannot be edited: only an adoption is recorded
        if "record_ownership" in op.payload:
            self._registry.record(op.address, live_id, created=bool(op.payload["record_ownership"]))
        return live_id

    def replace(self, op: Operation) -> str:
        self._revoke(op.live_id)  # one pending invite per email: revoke before sending again
        return self.create(op)

    def delete(self, op: Operation) -> None:
        self._revoke(op.live_id)
        if not op.change.deposed:
            self._registry.forget(op.address)

    def _revoke(self, live_id: str) -> None:
        try:
            with self._clients.admin_slots, api_errors(f"revoke invite {live_id}", missing_ok=True):
                self._invites().delete(live_id)
        except PermanentApiError as error:
            if error.code != "invite_already_accepted":
                raise
