"""GET /organization/audit_logs: the entries every module writes through `audit.record`.

Newest first, filtered by `effective_at[gt|gte|lt|lte]`, `project_ids[]`, `event_types[]`,
`actor_ids[]`, `actor_emails[]` and `resource_ids[]`, paged with `after`/`before`/`limit`.
Entries are completed on the way out (actor e-mail, project name) so each validates as `AuditLog`.
With the `audit_logs_disabled` switch on (an organization that never turned audit logging on)
the route answers 403 `audit_logging_disabled` (the real API's answer is undocumented; the
reconciler treats any refusal of this route as "no audit log").
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from functools import cache

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import APIError, Obj, invalid, json_response, query_int, query_integer
from ..store import Store
from .org_common import admin_context, query_list

_BOUNDS: dict[str, Callable[[int, int], bool]] = {
    "gt": lambda at, bound: at > bound,
    "gte": lambda at, bound: at >= bound,
    "lt": lambda at, bound: at < bound,
    "lte": lambda at, bound: at <= bound,
}


@cache
def known_event_types() -> frozenset[str]:
    """The event types the installed SDK may ask for (a superset of the OpenAPI document's)."""
    from openai.types.admin.organization import audit_log_list_params

    hints = typing.get_type_hints(audit_log_list_params.AuditLogListParams)
    (literal,) = typing.get_args(hints["event_types"])
    return frozenset(typing.get_args(literal))


# -- filters -------------------------------------------------------------------------------------

Filter = Callable[[Obj], bool]


def _time_bound(compare: Callable[[int, int], bool], bound: int) -> Filter:
    return lambda entry: compare(int(entry["effective_at"]), bound)


def _time_filters(request: Request) -> list[Filter]:
    filters: list[Filter] = []
    for name, compare in _BOUNDS.items():
        param = f"effective_at[{name}]"
        bound = query_integer(request, param)
        if bound is not None:
            filters.append(_time_bound(compare, bound))
    return filters


def _event_types(request: Request) -> set[str]:
    wanted = set(query_list(request, "event_types"))
    unknown = sorted(wanted - known_event_types())
    if unknown:
        raise invalid(
            f"Invalid value for 'event_types': '{unknown[0]}' is not a known audit log event type.",
            param="event_types",
            code="invalid_value",
        )
    return wanted


def _actor_ids(entry: Obj) -> set[str]:
    actor = entry.get("actor") or {}
    key = actor.get("api_key") or {}
    principal = key.get("user") or key.get("service_account") or {}
    session_user = (actor.get("session") or {}).get("user") or {}
    return {str(i) for i in (key.get("id"), principal.get("id"), session_user.get("id")) if i}


def _actor_email(entry: Obj) -> str | None:
    actor = entry.get("actor") or {}
    user = ((actor.get("api_key") or {}).get("user")) or ((actor.get("session") or {}).get("user"))
    email = (user or {}).get("email")
    return None if email is None else str(email)


def _resource_id(entry: Obj) -> str | None:
    details = entry.get(entry["type"])
    return str(details["id"]) if isinstance(details, dict) and "id" in details else None


def _filters(request: Request) -> list[Filter]:
    filters = _time_filters(request)
    if projects := set(query_list(request, "project_ids")):
        filters.append(lambda e: (e.get("project") or {}).get("id") in projects)
    if types := _event_types(request):
        filters.append(lambda e: e["type"] in types)
    if actors := set(query_list(request, "actor_ids")):
        filters.append(lambda e: bool(_actor_ids(e) & actors))
    if emails := {m.lower() for m in query_list(request, "actor_emails")}:
        filters.append(lambda e: (_actor_email(e) or "").lower() in emails)
    if resources := set(query_list(request, "resource_ids")):
        filters.append(lambda e: _resource_id(e) in resources)
    return filters


# -- output --------------------------------------------------------------------------------------


def _completed(store: Store, entry: Obj) -> Obj:
    """Fill the actor's e-mail and the project's name where the writer left them null."""
    entry = dict(entry)
    user = ((entry.get("actor") or {}).get("api_key") or {}).get("user")
    if isinstance(user, dict) and user.get("email") is None:
        known = store.get("org_user", str(user.get("id")))
        user = {**user, "email": known.get("email") if known else None}
        if user["email"] is None:
            del user["email"]
        entry["actor"] = {**entry["actor"], "api_key": {**entry["actor"]["api_key"], "user": user}}
    project = entry.get("project")
    if isinstance(project, dict) and project.get("name") is None:
        known = store.get("project", str(project.get("id")))
        project = {k: v for k, v in project.items() if k != "name"}
        if known is not None and known.get("name") is not None:
            project["name"] = known["name"]
        entry["project"] = project
    return entry


def _page(request: Request, entries: list[Obj]) -> tuple[list[Obj], bool]:
    """`entries` newest first; `after` pages towards older entries, `before` towards newer."""
    limit = query_int(request, "limit", 20, maximum=100)
    ids = [entry["id"] for entry in entries]
    if after := request.query_params.get("after"):
        rest = entries[ids.index(after) + 1 :] if after in ids else []
        return rest[:limit], len(rest) > limit
    if before := request.query_params.get("before"):
        rest = entries[: ids.index(before)] if before in ids else []
        return rest[-limit:], len(rest) > limit
    return entries[:limit], len(entries) > limit


async def list_audit_logs(request: Request) -> Response:
    context = admin_context(request)
    if context.sandbox.switch("audit_logs_disabled"):
        raise APIError(
            403,
            "Audit logging is not enabled for this organization: an owner can turn it on in "
            "the organization's Data controls settings.",
            code="audit_logging_disabled",
        )
    store = context.sandbox.store
    filters = _filters(request)
    # Newest first by time; entries written late for an earlier moment (an invite accepted
    # lazily) take their place by `effective_at`, ties keep the newest-written first.
    newest = sorted(reversed(store.list("audit_log")), key=lambda e: -int(e["effective_at"]))
    completed = (_completed(store, entry) for entry in newest)
    entries = [entry for entry in completed if all(f(entry) for f in filters)]
    data, has_more = _page(request, entries)
    return json_response(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }
    )


ROUTES: list[BaseRoute] = [Route("/organization/audit_logs", list_audit_logs, methods=["GET"])]
