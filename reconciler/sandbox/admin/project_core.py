"""Projects themselves: create, list, retrieve, update (rename) and archive.

Serves /organization/projects and /organization/projects/{project_id}[/archive]. A new project
gets its creator as owner (`project_members.add_member`); archiving revokes the project's API
keys (the API: "archived projects cannot be used or updated") and is refused for the default one.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import Obj, check_type, invalid
from ..store import new_id
from . import project_members
from .project_common import (
    AdminContext,
    ListStyle,
    admin_context,
    admin_project,
    check_enum,
    check_name,
    cursor_page,
    object_body,
    ok,
    query_bool,
    record_event,
    render_project,
)

RESIDENCIES = (
    "GLOBAL",
    "US_STORAGE_PROCESSING",
    "EU_STORAGE_PROCESSING",
    "JP_STORAGE",
    "KR_STORAGE",
    "CA_STORAGE",
    "SG_STORAGE",
    "IN_STORAGE",
    "AU_STORAGE",
    "GB_STORAGE",
    "AE_STORAGE",
    "AE_STORAGE_PROCESSING",
)
# The deprecated `geography` parameter the SDK still sends, mapped onto `residency`.
GEOGRAPHIES = {
    "US": "US_STORAGE_PROCESSING",
    "EU": "EU_STORAGE_PROCESSING",
    "JP": "JP_STORAGE",
    "KR": "KR_STORAGE",
    "CA": "CA_STORAGE",
    "SG": "SG_STORAGE",
    "IN": "IN_STORAGE",
    "AU": "AU_STORAGE",
    "GB": "GB_STORAGE",
    "AE": "AE_STORAGE",
}
_LIST = ListStyle(default_limit=20, max_limit=100)


def _residency(body: Obj) -> str:
    residency, geography = body.get("residency"), body.get("geography")
    if residency is not None and geography is not None:
        raise invalid(
            "Do not provide both 'geography' and 'residency'; 'geography' is deprecated.",
            param="geography",
            code="invalid_value",
        )
    if geography is not None:
        return GEOGRAPHIES[check_enum(geography, "geography", GEOGRAPHIES)]
    return check_enum(residency or "GLOBAL", "residency", RESIDENCIES)


def _external_key_id(body: Obj) -> str | None:
    value = body.get("external_key_id")
    if value is not None:
        check_type(value, str, "external_key_id")
    return value


async def create_project(request: Request) -> Response:
    context = admin_context(request)
    body = await object_body(
        request, allowed=("residency", "geography", "external_key_id"), required=("name",)
    )
    project: Obj = {
        "id": new_id("proj_"),
        "object": "organization.project",
        "name": check_name(body["name"]),
        "created_at": context.now,
        "archived_at": None,
        "status": "active",
        "external_key_id": _external_key_id(body),
        "residency": _residency(body),
    }
    with context.store.transaction():
        context.store.put("project", project)
        _add_creator(context, str(project["id"]))
        data = {"name": project["name"], "title": project["name"]}
        if body.get("residency") or body.get("geography"):
            data["residency"] = project["residency"]
        record_event(context, "project.created", {"id": project["id"], "data": data})
    return ok(render_project(project))


def _add_creator(context: AdminContext, project_id: str) -> None:
    """The calling key's owner becomes the project's owner, as in the dashboard."""
    if context.caller.actor_type != "user":
        return
    if context.store.get("org_user", context.caller.actor_id) is None:
        return
    project_members.add_member(context, project_id, context.caller.actor_id, "owner")


async def list_projects(request: Request) -> Response:
    context = admin_context(request)
    include_archived = query_bool(request, "include_archived", False)
    projects = [
        render_project(p)
        for p in context.store.list("project")
        if include_archived or p.get("status") != "archived"
    ]
    return cursor_page(request, projects, _LIST)


async def retrieve_project(request: Request) -> Response:
    _, project = admin_project(request)
    return ok(render_project(project))


async def update_project(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    body = await object_body(request, allowed=("name", "external_key_id", "geography"))
    changes: Obj = {}
    if body.get("name") is not None and body["name"] != project["name"]:
        project["name"] = changes["name"] = check_name(body["name"])
        changes["title"] = project["name"]
    if "external_key_id" in body and body["external_key_id"] != project.get("external_key_id"):
        project["external_key_id"] = changes["external_key_id"] = _external_key_id(body)
    if body.get("geography") is not None:
        residency = GEOGRAPHIES[check_enum(body["geography"], "geography", GEOGRAPHIES)]
        if residency != render_project(project)["residency"]:
            raise invalid(
                "The data residency of an existing project cannot be changed.",
                param="geography",
                code="invalid_value",
            )
    if changes:
        context.store.put("project", project)
        record_event(
            context, "project.updated", {"id": project["id"], "changes_requested": changes}
        )
    return ok(render_project(project))


async def archive_project(request: Request) -> Response:
    context, project = admin_project(request)
    if project["id"] == context.sandbox.default_project_id:
        raise invalid(
            "The default project cannot be archived.", param="project_id", code="invalid_value"
        )
    if project.get("status") == "archived":
        return ok(render_project(project))  # archiving twice changes nothing
    project.update(status="archived", archived_at=context.now)
    with context.store.transaction():
        context.store.put("project", project)
        _revoke_keys(context, project["id"])
        record_event(context, "project.archived", {"id": project["id"]})
    return ok(render_project(project))


def _revoke_keys(context: AdminContext, project_id: str) -> None:
    for record in context.store.list("secret_key"):
        if record.get("project_id") == project_id and not record.get("is_admin"):
            context.store.delete("secret_key", record["id"])


ROUTES: list[BaseRoute] = [
    Route("/organization/projects", list_projects, methods=["GET"]),
    Route("/organization/projects", create_project, methods=["POST"]),
    Route("/organization/projects/{project_id}", retrieve_project, methods=["GET"]),
    Route("/organization/projects/{project_id}", update_project, methods=["POST"]),
    Route("/organization/projects/{project_id}/archive", archive_project, methods=["POST"]),
]
