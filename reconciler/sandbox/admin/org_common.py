"""Shared pieces of the organization admin routes (users, invites, groups, roles, keys, usage).

Each `org_*` module authenticates through `admin_context`, lists with `cursor_page` (the
`next`-cursor lists of groups and roles) or `http.paginate`, reads array query parameters with
`query_list` (the SDK sends `name[]=a&name[]=b`) and writes audit entries with `record_event`
(the helpers both admin halves share live in `common` and are re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from ..http import Obj, invalid, json_response, query_int

# Shared with the project half (re-exported for the org_* modules).
from .common import AdminContext as AdminContext
from .common import admin_context as admin_context
from .common import check_enum as check_enum
from .common import path_param as path_param
from .common import public as public
from .common import record_event as record_event

ORG_RESOURCE_TYPE = "api.organization"


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
