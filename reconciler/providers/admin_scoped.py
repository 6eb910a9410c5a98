"""What the readers and providers of project-scoped Administration API kinds share.

`project_members.py` and `service_accounts.py` use it: which projects to list (the ones the
plan already resolved, plus those the stack's registry names for the kind, so an owned object
whose manifest is gone is still found), one paginated listing per collection holding one of
`Clients.admin_slots` (the Administration API allows a few requests a minute), and the live
ids of objects that live in a project (`<project id>.<object id>`: unique across projects,
and safe in the registry's filenames).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from reconciler.errors import PermanentApiError
from reconciler.manifests import Stack
from reconciler.providers.base import KindProvider, Operation, ReadContext
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.ownership import OwnershipStore
from reconciler.state import HOME_PROJECT, Ownership

PAGE_SIZE = 100  # the largest page of every project sub-collection listing


def scoped_id(project: str, object_id: str) -> str:
    return f"{project}.{object_id}"


def split_scoped_id(live_id: str) -> tuple[str, str]:
    project, _, object_id = live_id.partition(".")
    if not project or not object_id:
        raise ValueError(f"{live_id!r} is not '<project id>.<object id>'")
    return project, object_id


def kind_is_needed(kind: str, stack: Stack, ownership: Ownership) -> bool:
    """The stack declares the kind, or its registry still binds an object of it."""
    prefix = f"{kind}/"
    return bool(stack.of_kind(kind)) or any(a.startswith(prefix) for a in ownership.entries)


def projects_to_read(kind: str, ctx: ReadContext) -> list[str]:
    """The projects the plan resolved (where the stack's scoped objects are) and those the
    registry names for `kind`, sorted; never the API key's project placeholder."""
    found = {p for p in ctx.projects | ctx.administered if p != HOME_PROJECT}
    for address, entry in ctx.ownership.entries.items():
        if address.startswith(f"{kind}/") and entry.live_id and "." in entry.live_id:
            found.add(split_scoped_id(entry.live_id)[0])
    return sorted(found)


def list_admin(clients: Clients, what: str, listing: Callable[[Any], Iterable[Any]]) -> list[Any]:
    """Every page of one Administration API listing, within one of the admin slots."""
    with clients.admin_slots, api_errors(f"list {what}"):
        return list(listing(clients.reader().admin.organization))


def list_in_project(
    clients: Clients, what: str, project: str, listing: Callable[[Any], Iterable[Any]]
) -> list[Any] | None:
    """A project's sub-collection; None when the project is gone (archived projects still
    answer: they are read, and hold no members)."""
    try:
        return list_admin(clients, f"{what} of project {project}", listing)
    except PermanentApiError as error:
        if error.status == 404:
            return None
        raise


def bound_addresses(kind: str, ownership: Ownership) -> dict[str, str]:
    """Registry bindings of `kind`: live id -> address."""
    prefix = f"{kind}/"
    return {
        entry.live_id: address
        for address, entry in ownership.entries.items()
        if address.startswith(prefix) and entry.live_id is not None
    }


class BoundScopedProvider(KindProvider):
    """A project-scoped kind bound to its manifest by the ownership registry (members, service
    accounts): a replace makes the new object, then removes the old one; a delete removes the
    object and forgets its binding (a deposed copy has none of its own)."""

    _registry: OwnershipStore

    def _remove(self, live_id: str) -> None:
        raise NotImplementedError

    def replace(self, op: Operation) -> str:
        new_id = self.create(op)
        self._remove(op.live_id)
        return new_id

    def delete(self, op: Operation) -> None:
        self._remove(op.live_id)
        if not op.change.deposed:
            self._registry.forget(op.address)
