"""Read the organization's audit log (`GET /organization/audit_logs`) into `audit.AuditLog`.

`drift` calls `attribute_drift` after planning: one filtered listing (`resource_ids[]` = the ids
of the drifted objects, newest first, 100 a page, a few pages at most) names who changed each
one (`audit.attribute`). The incremental refresh (`providers/refresh.py`) calls `read_audit_log`
with `since` to learn which collections changed. An actor without an e-mail is named by its
admin key's name, from one listing of the admin keys, made only then. Audit logging off (the
API refuses the route), no admin key, or any other refusal gives an `AuditLog` saying so:
drift still reports the drift, without names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.audit import (
    AuditEntry,
    AuditLog,
    attribute,
    audit_ids,
    describe_actor,
    drifted,
)
from reconciler.errors import ApiError
from reconciler.kinds import PLANNERS
from reconciler.plan import Plan
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.state import LiveState

PAGE_SIZE = 100
MAX_PAGES = 5


def read_audit_log(
    clients: Clients,
    *,
    resource_ids: Iterable[str] = (),
    since: int | None = None,
    max_pages: int = MAX_PAGES,
) -> AuditLog:
    """The newest entries (about `resource_ids`, after `since`), or why there are none."""
    if not clients.has_admin_key:
        return AuditLog(unavailable="no OPENAI_ADMIN_KEY to read the audit log with")
    start = clients.requests
    params: dict[str, Any] = {"limit": PAGE_SIZE}
    ids = sorted(set(resource_ids))
    if ids:
        params["resource_ids"] = ids
    if since is not None:
        params["effective_at"] = {"gt": since}
    raw: list[dict[str, Any]] = []
    complete = True
    try:
        with clients.admin_slots, api_errors("read the audit log"):
            page = clients.reader().admin.organization.audit_logs.list(**params)
            for number in range(max_pages):
                raw.extend(entry.to_dict() for entry in page.data)
                if not page.has_next_page():
                    break
                if number == max_pages - 1:
                    complete = False
                    break
                page = page.get_next_page()
        key_names = _key_names(clients, raw)
    except ApiError as error:
        return AuditLog(
            unavailable=f"the audit log is unavailable ({_short(error)})",
            requests=clients.requests - start,
        )
    entries = tuple(_entry(item, key_names) for item in raw)
    return AuditLog(
        entries=entries,
        requests=clients.requests - start,
        unavailable=None if complete or since is None else "more entries than one read holds",
    )


def _short(error: ApiError) -> str:
    text = str(error).removeprefix("read the audit log: ")
    return text if len(text) <= 200 else text[:199] + "…"


def _key_names(clients: Clients, raw: list[dict[str, Any]]) -> Mapping[str, str]:
    """Names of the admin keys that acted without a user e-mail (one listing, only if any)."""
    wanted = {
        str(key["id"])
        for item in raw
        if (key := (item.get("actor") or {}).get("api_key"))
        and key.get("id")
        and not (key.get("user") or {}).get("email")
    }
    if not wanted:
        return {}
    keys = clients.reader().admin.organization.admin_api_keys.list(limit=PAGE_SIZE)
    return {str(k.id): str(k.name) for k in keys.data if str(k.id) in wanted and k.name}


def _entry(item: Mapping[str, Any], key_names: Mapping[str, str]) -> AuditEntry:
    event_type = str(item.get("type"))
    details = item.get(event_type)
    resource = details.get("id") if isinstance(details, Mapping) else None
    return AuditEntry(
        id=str(item.get("id")),
        event_type=event_type,
        at=int(item.get("effective_at") or 0),
        actor=describe_actor(item.get("actor") or {}, key_names),
        resource_id=None if resource is None else str(resource),
    )


DATA_PLANE_KINDS = frozenset(
    kind for kind, planner in PLANNERS.items() if getattr(planner, "data_plane", False)
)
"""Kinds whose objects live in the data plane (files, jobs, batches): not in the audit log."""


def attribute_drift(plan: Plan, clients: Clients, live: LiveState) -> Plan:
    """`plan` (a drift report) with who changed each drifted object; the audit-log requests
    are counted in the plan's `requests`."""
    changes = drifted(plan)
    if not changes:
        return plan
    known = {
        change.address: entry.live_id
        for change in changes
        if change.live_id is None
        and (entry := live.ownership.entry(change.address)) is not None
        and entry.live_id is not None
        and not entry.live_id.startswith("pending-")
    }
    ids = {i for c in changes for i in audit_ids(c, known.get(c.address))}
    if all(c.kind in DATA_PLANE_KINDS for c in changes):
        log = AuditLog()  # nothing the audit log could name: no request
    else:
        log = read_audit_log(clients, resource_ids=ids)
    attributed = attribute(plan, log, data_plane=DATA_PLANE_KINDS, known_ids=known)
    return attributed.model_copy(update={"requests": plan.requests + log.requests})
