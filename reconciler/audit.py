"""The organization's audit log as data, and who changed each drifted object (pure).

`providers/audit_log.py` reads `GET /organization/audit_logs` into an `AuditLog` (entries newest
first, or the reason there is none: audit logging off, no admin key). `attribute` puts on each
drifted change of a drift report the newest entries naming its live object (`audit_ids`: the
object's id; for a project's rate limits, `rl-<model>`), or a note saying why there is none.
`collections_touched` (incremental refresh) maps entries to the collections they change.
Nothing here calls the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler.plan import Action, Attribution, AuditEvent, Plan, ResourceChange

SHOWN_EVENTS = 3
"""At most this many entries per drifted object (newest first)."""


@dataclass(frozen=True)
class AuditEntry:
    """One audit-log entry: its type, time, actor in words and the id it is about."""

    id: str
    event_type: str
    at: int
    actor: str
    resource_id: str | None = None


@dataclass(frozen=True)
class AuditLog:
    """What the audit log said: `entries` newest first, or `unavailable` (why there are none)."""

    entries: tuple[AuditEntry, ...] = ()
    unavailable: str | None = None
    requests: int = 0


def describe_actor(actor: Mapping[str, object], key_names: Mapping[str, str]) -> str:
    """An audit entry's actor in words: the user's e-mail, else the key's name, else its id."""
    session = _mapping(actor.get("session"))
    key = _mapping(actor.get("api_key"))
    user = _mapping(key.get("user")) or _mapping(session.get("user"))
    if user.get("email"):
        via = " (dashboard)" if session else ""
        return f"{user['email']}{via}"
    key_id = str(key.get("id") or "")
    if key_id in key_names:
        return f"key '{key_names[key_id]}'"
    account = _mapping(key.get("service_account"))
    if account.get("id"):
        return f"service account {account['id']}" + (f" (key {key_id})" if key_id else "")
    if user.get("id"):
        return f"user {user['id']}"
    return f"key {key_id}" if key_id else "an unknown actor"


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def audit_ids(change: ResourceChange, fallback_id: str | None = None) -> frozenset[str]:
    """The ids audit entries about this change's live object carry: the object's own id (the
    part after the project in a project-scoped id such as `proj_x.user-abc`) and, for changed
    rate limits, `rl-<model>`."""
    ids: set[str] = set()
    live_id = change.live_id or fallback_id
    if live_id:
        scoped = live_id.startswith("proj_") and "." in live_id
        ids.add(live_id.partition(".")[2] if scoped else live_id)
    for field_change in change.changes:
        path = field_change.path.removeprefix("spec.")
        if path.startswith("rate_limits."):
            model = path.removeprefix("rate_limits.")
            head, _, last = model.rpartition(".")
            ids.add(f"rl-{head if head and last.startswith(('max_', 'batch_')) else model}")
    return frozenset(ids)


NO_ENTRY_ADMIN = (
    "the audit log has no entry for it (changed before the log's retention, or by an action "
    "the log does not record)"
)
NO_ENTRY_DATA_PLANE = (
    "the audit log does not record data-plane changes (files, fine-tuning jobs, batches): "
    "who changed it is not known"
)


def drifted(plan: Plan) -> list[ResourceChange]:
    """The changes of a drift report that say something differs from Git."""
    return [c for c in plan.changes if c.action in _DRIFT_ACTIONS]


_DRIFT_ACTIONS = frozenset({Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE})


def attribute(
    plan: Plan,
    log: AuditLog,
    *,
    data_plane: Iterable[str],
    known_ids: Mapping[str, str] | None = None,
) -> Plan:
    """`plan` with an `Attribution` on each drifted change: the newest entries naming it, or a
    note (audit log unavailable; a data-plane kind; no entry). `known_ids` gives the last
    known live id of objects that are gone (a declared project archived outside Git)."""
    plane = frozenset(data_plane)
    known = known_ids or {}
    changes = []
    for change in plan.changes:
        if change.action not in _DRIFT_ACTIONS:
            changes.append(change)
            continue
        found = _attribution(change, log, plane, known.get(change.address))
        changes.append(change.model_copy(update={"attribution": found}))
    return plan.model_copy(update={"changes": tuple(changes)})


def _attribution(
    change: ResourceChange, log: AuditLog, data_plane: frozenset[str], fallback: str | None
) -> Attribution:
    if log.unavailable is not None:
        return Attribution(note=f"not known: {log.unavailable}")
    ids = audit_ids(change, fallback)
    events = tuple(
        AuditEvent(actor=entry.actor, event_type=entry.event_type, at=entry.at)
        for entry in log.entries
        if entry.resource_id is not None and entry.resource_id in ids
    )[:SHOWN_EVENTS]
    if events:
        return Attribution(events=events)
    return Attribution(note=NO_ENTRY_DATA_PLANE if change.kind in data_plane else NO_ENTRY_ADMIN)


def describe_attribution(attribution: Attribution) -> list[str]:
    """Lines for a person: `changed by alice@example.com: project.updated at 2026-...Z`."""
    if not attribution.events:
        return [f"changed by: {attribution.note}"]
    first, *earlier = attribution.events
    lines = [f"changed by {first.actor}: {first.event_type} at {iso_time(first.at)}"]
    lines.extend(f"  before that, {e.actor}: {e.event_type} at {iso_time(e.at)}" for e in earlier)
    return lines


def iso_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def attribution_to_dict(attribution: Attribution) -> dict[str, object]:
    return {
        "events": [
            {"actor": e.actor, "event_type": e.event_type, "at": iso_time(e.at)}
            for e in attribution.events
        ],
        "note": attribution.note,
    }
