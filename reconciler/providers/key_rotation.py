"""`max_key_age` of a ServiceAccount: the age of its keys, read with one listing per project.

`ServiceAccountReader.read` calls `with_key_ages` with the accounts it read: for the accounts
bound to a manifest that declares `max_key_age`, it lists the project's API keys
(`organization/projects/{id}/api_keys`, one paginated listing per such project, never one
request per account; a listing `revoke_unmanaged_keys` started is reused:
`ReadContext.key_listings`) and sets the attribute `key_rotation_due`: the account's newest key is
at least `max_key_age` days old (by `models.shutdowns.today`, so `RECONCILER_TODAY` moves it),
or it has no key. The ServiceAccount planner declares `key_rotation_due: false`, so a due
rotation plans as an update whose reason says it rotates: the API revokes no single key of a
service account (`DELETE .../api_keys/{id}` answers 400 for them: "delete the service account
instead"), so the key rotates with the account. Apply creates a new account of the same name
and role, its key goes to `key_sink` (a 0600 file, a masked GitHub output) before anything is
removed, then the old account is removed, which revokes its keys (`ServiceAccountProvider`,
create before delete). A sink that cannot take the key fails the create and the old account
keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from reconciler.models.service_account import ServiceAccountSpec
from reconciler.models.shutdowns import today
from reconciler.providers.admin_scoped import PAGE_SIZE, list_in_project, split_scoped_id
from reconciler.providers.base import ReadContext
from reconciler.providers.client import Clients
from reconciler.state import LiveObject

DUE = "key_rotation_due"


def list_project_keys(clients: Clients, project: str) -> list[Any] | None:
    return list_in_project(
        clients,
        "API keys",
        project,
        lambda org: org.projects.api_keys.list(project, limit=PAGE_SIZE),
    )


def max_key_ages(ctx: ReadContext) -> dict[str, int]:
    """Days of `max_key_age`, by the address of each ServiceAccount manifest declaring it."""
    ages: dict[str, int] = {}
    for resource in ctx.stack.of_kind("ServiceAccount"):
        spec = resource.spec
        if isinstance(spec, ServiceAccountSpec) and spec.max_key_age_days is not None:
            ages[resource.address] = spec.max_key_age_days
    return ages


def with_key_ages(ctx: ReadContext, accounts: list[LiveObject]) -> tuple[list[LiveObject], int]:
    """`accounts` with `key_rotation_due` set where a manifest declares `max_key_age`, and the
    list pages that needed."""
    ages = max_key_ages(ctx)
    watched = [a for a in accounts if a.address in ages]
    projects = sorted({str(a.attributes["project"]) for a in watched})
    shared = {p: ctx.key_listings[p] for p in projects if p in ctx.key_listings}
    listings = {
        p: ctx.submit(list_project_keys, ctx.clients, p) for p in projects if p not in shared
    }
    keys = {p: listing.result() or [] for p, listing in (listings | shared).items()}
    pages = sum(max(1, -(-len(keys[p]) // PAGE_SIZE)) for p in listings)  # shared: counted there
    updated: list[LiveObject] = []
    for account in accounts:
        if account.address not in ages:
            updated.append(account)
            continue
        project, account_id = split_scoped_id(account.live_id)
        newest = newest_key_created_at(keys.get(project, ()), account_id)
        due = newest is None or _age_days(newest) >= ages[account.address]
        attributes = {**account.attributes, DUE: due}
        info = {**account.info, "newest_key_created_at": newest}
        updated.append(account.model_copy(update={"attributes": attributes, "info": info}))
    return updated, pages


def newest_key_created_at(keys: Iterable[Any], account_id: str) -> int | None:
    owned = [int(k.created_at or 0) for k in keys if owner_account_id(k) == account_id]
    return max(owned) if owned else None


def owner_account_id(key: Any) -> str | None:
    owner = getattr(key, "owner", None)
    account = getattr(owner, "service_account", None) if owner is not None else None
    return str(account.id) if account is not None and getattr(account, "id", None) else None


def _age_days(created_at: int) -> int:
    return (today() - datetime.fromtimestamp(created_at, UTC).date()).days
