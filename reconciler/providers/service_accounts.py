"""The `ServiceAccount` kind over the Administration API (`organization/projects/{id}/
service_accounts`): one listing per project, create (its key to the sink), rename, role, remove.

`ServiceAccountReader` is registered in `providers/registry.py` (`READERS`); apply calls
`ServiceAccountProvider`. The account's live id is `<project id>.<account id>`, recorded in the
stack's ownership registry right after its key reached the sink (`key_sinks.py`). The key the
API returns once, at creation, is handed to the sink and dropped: it never reaches a return
value, an event, a log or an error. A create retried after a lost answer cannot have the key of
the first attempt, so it removes the account that attempt made (by name, unbound) and makes a
new one; a sink that cannot take the key fails the create before anything is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.kinds.service_account import KEY_ROTATION_DUE
from reconciler.manifests import Stack
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
from reconciler.providers.key_rotation import with_key_ages
from reconciler.providers.key_sinks import check_sink, deliver_key
from reconciler.providers.ownership import OwnershipStore
from reconciler.state import LiveObject, Ownership

KIND = "ServiceAccount"


def list_service_accounts(clients: Clients, project: str) -> list[Any] | None:
    return list_in_project(
        clients,
        "service accounts",
        project,
        lambda org: org.projects.service_accounts.list(project, limit=PAGE_SIZE),
    )


class ServiceAccountReader:
    kind = KIND

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        return kind_is_needed(KIND, stack, ownership)

    def read(self, ctx: ReadContext) -> ReadResult:
        ctx.clients.require_admin_key(f"read the service accounts of stack '{ctx.stack.name}'")
        listings = {
            project: ctx.submit(list_service_accounts, ctx.clients, project)
            for project in projects_to_read(KIND, ctx)
        }
        addresses = bound_addresses(KIND, ctx.ownership)
        objects: list[LiveObject] = []
        minimum = 0
        for project, listing in listings.items():
            accounts = listing.result()
            minimum += 1 if accounts is None else max(1, -(-len(accounts) // PAGE_SIZE))
            for account in accounts or ():
                objects.append(account_object(project, account, ctx.ownership, addresses))
        objects, key_pages = with_key_ages(ctx, objects)
        return ReadResult(tuple(objects), minimum + key_pages)


def account_object(
    project: str, account: Any, ownership: Ownership, addresses: dict[str, str]
) -> LiveObject:
    live_id = scoped_id(project, str(account.id))
    address = addresses.get(live_id)
    entry = ownership.entry(address) if address is not None else None
    return LiveObject(
        kind=KIND,
        key=f"{project}/{account.name}",
        live_id=live_id,
        attributes={"project": project, "name": account.name, "role": account.role},
        owned=bool(entry and entry.created),
        address=address,
        created_at=int(account.created_at or 0),
    )


class ServiceAccountProvider(BoundScopedProvider):
    kind = KIND

    def __init__(self, clients: Clients, registry: OwnershipStore, root: Path) -> None:
        self._clients = clients
        self._registry = registry
        self._root = root
        self._sent: set[str] = set()  # addresses whose create may have reached the API

    def _accounts(self) -> Any:
        return self._clients.writer().admin.organization.projects.service_accounts

    def create(self, op: Operation) -> str:
        project, name, role = (
            str(op.payload["project"]),
            str(op.payload["name"]),
            op.payload["role"],
        )
        sink = op.payload["key_sink"]
        check_sink(sink, self._root)
        if op.address in self._sent:
            made = self._made_by_earlier_attempt(op)
            if made is not None:  # its key is in the sink; what failed came after
                if role != "member":
                    self._set(made, role=str(role))
                return made
            self._remove_unbound(project, name)
        self._sent.add(op.address)
        with self._clients.admin_slots, api_errors(f"create service account '{name}' in {project}"):
            created = self._accounts().create(project, name=name)
        live_id = scoped_id(project, str(created.id))
        try:
            if created.api_key is None:
                raise ValueError("the API returned no key for the new service account")
            deliver_key(sink, created.api_key.value, self._root)
        except BaseException:
            self._remove(live_id)  # nobody can ever use its key: leave no account behind
            raise
        finally:
            del created
        self._registry.record(op.address, live_id, created=True)
        if role != "member":
            self._set(live_id, role=str(role))
        return live_id

    def _made_by_earlier_attempt(self, op: Operation) -> str | None:
        """The account an earlier attempt of this create made and recorded (its key reached
        the sink before the binding was written), read from a fresh registry."""
        self._registry.refresh()
        entry = self._registry.ownership().entry(op.address)
        if entry is None or entry.live_id is None or entry.live_id == op.change.live_id:
            return None
        return entry.live_id

    def _remove_unbound(self, project: str, name: str) -> None:
        """Accounts named `name` that no binding holds: an earlier attempt whose answer (and
        key) was lost."""
        bound = bound_addresses(KIND, self._registry.ownership())
        for account in list_service_accounts(self._clients, project) or ():
            live_id = scoped_id(project, str(account.id))
            if account.name == name and live_id not in bound:
                self._remove(live_id)

    def update(self, op: Operation) -> str:
        live_id = op.live_id
        if op.change.live_attributes.get(KEY_ROTATION_DUE) is True:
            # max_key_age: the API revokes no single key of an account, so a new account of
            # the declared name and role gets a key (in the sink first), then the old one goes
            new_id = self.create(op)
            self._remove(live_id)
            return new_id
        changed = {c.path.removeprefix("spec.") for c in op.change.changes}
        fields = {f: str(op.payload[f]) for f in ("name", "role") if f in changed}
        if fields:
            self._set(live_id, **fields)
        if "record_ownership" in op.payload:
            self._registry.record(op.address, live_id, created=bool(op.payload["record_ownership"]))
        return live_id

    def _set(self, live_id: str, **fields: str) -> None:
        project, account_id = split_scoped_id(live_id)
        with self._clients.admin_slots, api_errors(f"update service account {account_id}"):
            self._accounts().update(account_id, project_id=project, **fields)

    def _remove(self, live_id: str) -> None:
        project, account_id = split_scoped_id(live_id)
        with (
            self._clients.admin_slots,
            api_errors(f"remove service account {account_id}", missing_ok=True),
        ):
            self._accounts().delete(account_id, project_id=project)
