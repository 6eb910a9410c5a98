"""`revoke_unmanaged_keys` of a Project: the project's API keys, one listing per project.

`live.read_live_state` lists the keys of each live project whose declared Project sets
`revoke_unmanaged_keys` (true or false; nothing is read for a Project without it), on the read
pool with the project settings (`list_project_keys`, paginated at 100). The same listings are
handed to the ServiceAccount reader (`ReadContext.key_listings`), so `max_key_age` reads no
project twice. `with_api_keys` merges each listing into its Project's attributes as `api_keys`:
one `key_view` per key, never a secret (the API answers only a `redacted_value`), and without
the keys this run itself sends (`Clients.is_own_key`: their visible start and end match), which
are never listed nor revoked. `kinds/project_api_keys.py` plans the inventory and the revokes;
`ProjectProvider.delete` revokes (`DELETE .../api_keys/{id}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from reconciler.kinds.project_api_keys import API_KEYS
from reconciler.providers.admin_scoped import PAGE_SIZE
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.state import LiveObject


def key_view(key: Any) -> dict[str, Any]:
    """A listed project API key as plain data: who owns it, when it was made and last used."""
    owner = getattr(key, "owner", None)
    owner_type = str(getattr(owner, "type", None) or "")
    account = getattr(owner, "service_account", None)
    user = getattr(owner, "user", None)
    if account is not None:
        owner_type, shown = "service_account", str(getattr(account, "name", "") or account.id)
    elif user is not None:
        owner_type, shown = "user", str(getattr(user, "email", "") or getattr(user, "id", ""))
    else:
        shown = ""
    return {
        "id": str(key.id),
        "name": str(getattr(key, "name", "") or ""),
        "redacted_value": str(getattr(key, "redacted_value", "") or ""),
        "created_at": int(getattr(key, "created_at", 0) or 0),
        "last_used_at": getattr(key, "last_used_at", None),
        "owner_type": owner_type,
        "owner": shown,
        "service_account_id": str(account.id) if account is not None else None,
    }


def with_api_keys(
    projects: list[LiveObject], listings: Mapping[str, Future[Any]], clients: Clients
) -> tuple[list[LiveObject], int]:
    """The projects with `api_keys` set where their keys were listed, and the list pages."""
    pages = 0
    merged: list[LiveObject] = []
    for project in projects:
        listing = listings.get(project.live_id)
        if listing is None:
            merged.append(project)
            continue
        keys = listing.result() or []
        pages += max(1, -(-len(keys) // PAGE_SIZE))
        views = [key_view(k) for k in keys if not clients.is_own_key(str(k.redacted_value or ""))]
        attributes = {**project.attributes, API_KEYS: views}
        merged.append(project.model_copy(update={"attributes": attributes}))
    return merged, pages


def revoke_key(clients: Clients, project_id: str, key_id: str) -> None:
    """Revoke one project API key (already gone is done)."""
    projects = clients.writer().admin.organization.projects
    what = f"revoke API key {key_id} of project {project_id}"
    with clients.admin_slots, api_errors(what, missing_ok=True):
        projects.api_keys.delete(key_id, project_id=project_id)
