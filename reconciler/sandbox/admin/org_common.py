"""Shared pieces of the organization admin routes (users, invites, groups, roles, keys, usage).

Each `org_*` module authenticates through `admin_context`, lists with `cursor_page` (the
`next`-cursor lists of groups and roles) or `http.paginate`, reads array query parameters with
`query_list` (the SDK sends `name[]=a&name[]=b`) and writes audit entries with `record_event`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .. import audit
from ..http import Caller, Obj, caller, invalid, json_response, query_int, sandbox_of

if TYPE_CHECKING:
    from ..app import Sandbox

ORG_RESOURCE_TYPE = "api.organization"


@dataclass(frozen=True)
class AdminContext:
    """The sandbox and the admin caller of one request."""

    sandbox: Sandbox
    caller: Caller

    @property
    def now(self) -> int:
        return self.sandbox.clock.now()


def admin_context(request: Request) -> AdminContext:
    """Authenticate an admin key (a project key gets the real API's 401)."""
    who = caller(request, admin=True)
    return AdminContext(sandbox=sandbox_of(request), caller=who)


def path_param(request: Request, name: str) -> str:
    return str(request.path_params[name])


def public(obj: Obj) -> Obj:
    """The API shape of a stored object: private `_`-prefixed bookkeeping removed."""
    return {key: value for key, value in obj.items() if not key.startswith("_")}


def query_list(request: Request, name: str) -> list[str]:
    """An array query parameter, sent as `name[]=a&name[]=b` (the SDK) or `name=a&name=b`."""
    params = request.query_params
    return [*params.getlist(name), *params.getlist(f"{name}[]")]


def query_choice(request: Request, name: str, choices: tuple[str, ...], default: str) -> str:
    value = request.query_params.get(name, default)
    if value not in choices:
        raise invalid(
            f"Invalid value for '{name}': expected one of {', '.join(repr(c) for c in choices)}, "
            f"got '{value}'.",
            param=name,
            code="invalid_value",
        )
    return value


def cursor_page(
    request: Request,
    items: list[Obj],
    *,
    default_limit: int,
    max_limit: int = 1000,
    default_order: str = "asc",
    id_of: Callable[[Obj], str] = lambda o: str(o["id"]),
) -> Response:
    """A `next`-cursor list (groups, roles, role assignments): items come oldest first."""
    limit = query_int(request, "limit", default_limit, minimum=0, maximum=max_limit)
    order = query_choice(request, "order", ("asc", "desc"), default_order)
    ordered = items if order == "asc" else list(reversed(items))
    after = request.query_params.get("after")
    if after:
        ids = [id_of(o) for o in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    page = ordered[:limit]
    has_more = len(ordered) > limit
    body: Obj = {
        "object": "list",
        "data": page,
        "has_more": has_more,
        "next": id_of(page[-1]) if has_more and page else None,
    }
    return json_response(body)


def check_enum(value: Any, param: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise invalid(
            f"Invalid value for '{param}': expected one of "
            f"{', '.join(repr(c) for c in choices)}, but got {value!r} instead.",
            param=param,
            code="invalid_value",
        )
    return str(value)


def record_event(context: AdminContext, event_type: str, details: Obj) -> Obj:
    """Audit one admin mutation; admin-key actions are tied to the default project (as the
    API documents for the `project` field of audit logs)."""
    sandbox = context.sandbox
    project = sandbox.store.get("project", sandbox.default_project_id)
    return audit.record(
        sandbox.store,
        context.now,
        context.caller,
        event_type,
        details,
        project_id=sandbox.default_project_id,
        project_name=None if project is None else str(project.get("name")),
    )
