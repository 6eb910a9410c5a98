"""Shared pieces of the project half of the Administration API (`project_*` route modules).

Every handler starts with `admin_project` (an admin key, then the path's project through
`project_for_read` / `project_for_write`: 404 when unknown, 400 when archived), validates bodies
with the small `check_*` helpers, answers lists with `cursor_page` and audits with `record_event`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..http import (
    APIError,
    Obj,
    check_params,
    check_range,
    check_type,
    invalid,
    json_body,
    json_response,
    query_int,
)

# Shared with the organization half (re-exported for the project_* modules).
from .common import AdminContext as AdminContext
from .common import admin_context as admin_context
from .common import check_enum as check_enum
from .common import path_param as path_param
from .common import public as public
from .common import record_event as record_event

PROJECT_RESOURCE_TYPE = "api.project"


def scoped_id(project_id: str, local_id: str) -> str:
    """Store id of a record whose public id repeats across projects (memberships, rate limits)."""
    return f"{project_id}/{local_id}"


# -- projects ------------------------------------------------------------------------------------


def render_project(project: Obj) -> Obj:
    """A stored project with every documented field present (the seed writes fewer)."""
    return {"external_key_id": None, "residency": "GLOBAL", **public(project)}


def project_for_read(context: AdminContext, project_id: str) -> Obj:
    """The project, or the real API's 404."""
    project = context.store.get("project", project_id)
    if project is None:
        raise APIError(
            404,
            f"Project with id '{project_id}' not found.",
            param="project_id",
            code="not_found",
        )
    return project


def not_in_project(what: str, obj_id: str, project_id: str, param: str) -> APIError:
    """The 404 for an object the path names that the project does not have."""
    return APIError(
        404, f"{what} with id '{obj_id}' not found in project '{project_id}'.", param=param
    )


def find_in_project(
    context: AdminContext, kind: str, project_id: str, obj_id: str, *, what: str, param: str
) -> Obj:
    """A record of `kind` stored in the project (its scope), or `not_in_project`'s 404."""
    record = context.store.get(kind, obj_id, scope=project_id)
    if record is None:
        raise not_in_project(what, obj_id, project_id, param)
    return record


def admin_project(request: Request, *, write: bool = False) -> tuple[AdminContext, Obj]:
    """The first two steps of a handler under `/organization/projects/{project_id}`:
    authenticate the admin key, then find the project (`write=True`: not archived either)."""
    context = admin_context(request)
    find = project_for_write if write else project_for_read
    return context, find(context, path_param(request, "project_id"))


def project_for_write(context: AdminContext, project_id: str) -> Obj:
    """The project, refusing changes once archived ("archived projects cannot be updated")."""
    project = project_for_read(context, project_id)
    if project.get("status") == "archived":
        raise invalid(
            f"Project '{project_id}' is archived. Archived projects cannot be used or updated.",
            param="project_id",
            code="project_archived",
        )
    return project


# -- bodies and queries --------------------------------------------------------------------------


async def object_body(
    request: Request, allowed: Iterable[str], required: Iterable[str] = ()
) -> Obj:
    """The JSON body, rejecting unknown parameters and missing required ones."""
    body = await json_body(request)
    check_params(body, allowed=allowed, required=required)
    return body


def check_name(value: Any, param: str = "name") -> str:
    """A non-empty string, the way the API rejects an empty one."""
    check_type(value, str, param)
    if not value.strip():
        raise invalid(
            f"Invalid '{param}': string too short. Expected a string with minimum length 1, "
            "but got an empty string instead.",
            param=param,
            code="empty_string",
        )
    return str(value)


def check_string_list(value: Any, param: str) -> list[str]:
    check_type(value, list, param)
    for index, item in enumerate(value):
        check_type(item, str, f"{param}[{index}]")
    return [str(item) for item in value]


def check_int(value: Any, param: str, *, minimum: int | None = None) -> int:
    check_type(value, int, param)
    check_range(value, param, minimum=minimum)
    return int(value)


def query_bool(request: Request, name: str, default: bool) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise invalid(
        f"Invalid value for '{name}': expected a boolean, but got '{raw}' instead.",
        param=name,
        code="invalid_type",
    )


def query_choice(request: Request, name: str, choices: tuple[str, ...], default: str) -> str:
    return check_enum(request.query_params.get(name, default), name, choices)


# -- lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListStyle:
    """How one list endpoint pages: its limits, order and which cursor fields it answers with."""

    default_limit: int = 20
    min_limit: int = 1
    max_limit: int = 100
    default_order: str = "asc"
    has_order: bool = False
    next_cursor: bool = False  # `next` (groups, roles) instead of `first_id`/`last_id`


def cursor_page(
    request: Request,
    items: list[Obj],
    style: ListStyle,
    *,
    id_of: Callable[[Obj], str] = lambda o: str(o["id"]),
) -> Response:
    """One page of `items` (oldest first) after `after` / before `before`, as the API pages."""
    limit = query_int(
        request, "limit", style.default_limit, minimum=style.min_limit, maximum=style.max_limit
    )
    order = style.default_order
    if style.has_order:
        order = query_choice(request, "order", ("asc", "desc"), style.default_order)
    ordered = items if order == "asc" else list(reversed(items))
    ids = [id_of(o) for o in ordered]
    before = request.query_params.get("before")
    if before:
        ordered = ordered[: ids.index(before)] if before in ids else []
        ordered = ordered[-limit:] if limit else []
    after = request.query_params.get("after")
    if after:
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    page = ordered[:limit]
    has_more = len(ordered) > len(page)
    body: Obj = {"object": "list", "data": page, "has_more": has_more}
    if style.next_cursor:
        body["next"] = id_of(page[-1]) if has_more and page else None
    else:
        body["first_id"] = id_of(page[0]) if page else None
        body["last_id"] = id_of(page[-1]) if page else None
    return json_response(body)


# -- audit ---------------------------------------------------------------------------------------


def ok(body: Obj) -> Response:
    return json_response(body)


# -- per-project settings (spend limit, permissions, retention, service tiers) -----------------


def load_setting(context: AdminContext, project_id: str, name: str) -> Obj | None:
    record = context.store.get("project_setting", scoped_id(project_id, name))
    return None if record is None else dict(record["value"])


def save_setting(context: AdminContext, project_id: str, name: str, value: Obj) -> Obj:
    record = {"id": scoped_id(project_id, name), "value": value}
    context.store.put("project_setting", record, scope=project_id)
    return value


def drop_setting(context: AdminContext, project_id: str, name: str) -> bool:
    return context.store.delete("project_setting", scoped_id(project_id, name))


def record_project_change(context: AdminContext, project_id: str, changes: Obj) -> Obj:
    """A project setting changed: audited as `project.updated` with the setting's new value."""
    return record_event(
        context, "project.updated", {"id": project_id, "changes_requested": changes}
    )
