"""Audit log of the sandbox's Administration API: every admin mutation is recorded here.

Route modules call `record(...)` after a successful mutation; `GET /organization/audit_logs`
(in admin/organization.py) lists these entries, shaped like the API's `AuditLog` object: `type`
is the event (`project.created`, ...), and the event's details sit under a key of the same name.
"""

from __future__ import annotations

from typing import Any

from .http import Caller
from .store import Store, new_id


def record(
    store: Store,
    now: int,
    caller: Caller,
    event_type: str,
    details: dict[str, Any],
    *,
    project_id: str | None = None,
    project_name: str | None = None,
) -> dict[str, Any]:
    """Append one audit entry; `details` is the payload (e.g. {"id": ..., "data": {changed}})."""
    entry: dict[str, Any] = {
        "id": new_id("audit_log-"),
        "type": event_type,
        "effective_at": now,
        "actor": _actor(caller),
        event_type: details,
    }
    if project_id is not None:
        entry["project"] = {"id": project_id, "name": project_name}
    return store.put("audit_log", entry)


def _actor(caller: Caller) -> dict[str, Any]:
    if caller.actor_type == "service_account":
        return {
            "type": "api_key",
            "api_key": {
                "id": caller.key_id,
                "type": "service_account",
                "service_account": {"id": caller.actor_id},
            },
        }
    return {
        "type": "api_key",
        "api_key": {
            "id": caller.key_id,
            "type": "user",
            "user": {"id": caller.actor_id, "email": None},
        },
    }
