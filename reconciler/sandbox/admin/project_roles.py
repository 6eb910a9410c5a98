"""Project roles (RBAC): three predefined roles (owner, member, viewer) plus custom ones.

Serves /projects/{project_id}/roles[/{role_id}] (outside /organization, as the API has them).
`project_members` and `project_role_assignments` look roles up with `find_role`. Custom roles
live in the `"project_role"` kind, scoped to the project, with private `_created_at`,
`_updated_at` and `_created_by` stripped on output.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import Obj, check_type, invalid
from ..store import new_id
from .project_common import (
    PROJECT_RESOURCE_TYPE,
    AdminContext,
    ListStyle,
    admin_project,
    check_name,
    check_string_list,
    cursor_page,
    not_in_project,
    object_body,
    ok,
    path_param,
    public,
    record_event,
)

_MEMBER_PERMISSIONS = [
    "api.model.read",
    "api.model.request",
    "api.files.read",
    "api.files.write",
    "api.fine_tuning.jobs.read",
    "api.fine_tuning.jobs.write",
    "api.batch.read",
    "api.batch.write",
    "api.evals.read",
    "api.evals.write",
    "api.groups.read",
    "api.roles.read",
]
_OWNER_PERMISSIONS = [
    *_MEMBER_PERMISSIONS,
    "api.groups.write",
    "api.roles.write",
    "api.organization.projects.api_keys.read",
    "api.organization.projects.api_keys.write",
    "api.organization.projects.service_accounts.read",
    "api.organization.projects.service_accounts.write",
    "api.organization.projects.users.read",
    "api.organization.projects.users.write",
]


def _predefined(name: str, description: str, permissions: list[str]) -> Obj:
    return {
        "object": "role",
        "id": f"role_project_{name}",
        "name": name,
        "description": description,
        "permissions": permissions,
        "resource_type": PROJECT_RESOURCE_TYPE,
        "predefined_role": True,
    }


PREDEFINED_ROLES: tuple[Obj, ...] = (
    _predefined("owner", "Full access to the project, its members and keys.", _OWNER_PERMISSIONS),
    _predefined("member", "Can use the project's models, files and jobs.", _MEMBER_PERMISSIONS),
    _predefined(
        "viewer",
        "Read-only access to the project.",
        [p for p in _MEMBER_PERMISSIONS if p.endswith(".read")],
    ),
)
_PERMISSION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_ROLE_LIST = ListStyle(
    default_limit=1000, min_limit=0, max_limit=1000, has_order=True, next_cursor=True
)


# -- roles ---------------------------------------------------------------------------------------


def project_roles(context: AdminContext, project_id: str) -> list[Obj]:
    """Predefined roles first, then the project's custom roles (stored form)."""
    return [*PREDEFINED_ROLES, *context.store.list("project_role", scope=project_id)]


def find_role(context: AdminContext, project_id: str, role: str, param: str = "role_id") -> Obj:
    """A project role by id, or a predefined one by name (`owner`, `member`, `viewer`)."""
    for candidate in project_roles(context, project_id):
        if candidate["id"] == role or (candidate["predefined_role"] and candidate["name"] == role):
            return candidate
    raise not_in_project("Role", role, project_id, param)


def _check_permissions(value: Any) -> list[str]:
    permissions = check_string_list(value, "permissions")
    for permission in permissions:
        if not _PERMISSION.match(permission):
            raise invalid(
                f"Invalid permission '{permission}'.", param="permissions", code="invalid_value"
            )
    return sorted(set(permissions), key=permissions.index)


def _check_unique_name(context: AdminContext, project_id: str, name: str) -> None:
    if any(r["name"] == name for r in project_roles(context, project_id)):
        raise invalid(
            f"A role named '{name}' already exists in project '{project_id}'.",
            param="role_name",
            code="duplicate_role_name",
        )


def _check_description(value: Any) -> str | None:
    if value is None:
        return None
    check_type(value, str, "description")
    return str(value)


async def list_roles(request: Request) -> Response:
    context, project = admin_project(request)
    roles = [public(r) for r in project_roles(context, project["id"])]
    return cursor_page(request, roles, _ROLE_LIST)


async def create_role(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    body = await object_body(
        request, allowed=("description",), required=("role_name", "permissions")
    )
    name = check_name(body["role_name"], "role_name")
    _check_unique_name(context, project["id"], name)
    role = {
        "object": "role",
        "id": new_id("role_"),
        "name": name,
        "description": _check_description(body.get("description")),
        "permissions": _check_permissions(body["permissions"]),
        "resource_type": PROJECT_RESOURCE_TYPE,
        "predefined_role": False,
        "_created_at": context.now,
        "_updated_at": context.now,
        "_created_by": context.caller.actor_id,
    }
    context.store.put("project_role", role, scope=project["id"])
    details = {
        "id": role["id"],
        "role_name": name,
        "permissions": role["permissions"],
        "resource_type": PROJECT_RESOURCE_TYPE,
        "resource_id": project["id"],
    }
    record_event(context, "role.created", details)
    return ok(public(role))


async def retrieve_role(request: Request) -> Response:
    context, project = admin_project(request)
    return ok(public(find_role(context, project["id"], path_param(request, "role_id"))))


def _custom_role(context: AdminContext, project_id: str, role_id: str) -> Obj:
    role = find_role(context, project_id, role_id)
    if role["predefined_role"]:
        raise invalid(
            f"Role '{role_id}' is predefined and cannot be changed or deleted.",
            param="role_id",
            code="predefined_role",
        )
    return role


async def update_role(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    role = _custom_role(context, project["id"], path_param(request, "role_id"))
    body = await object_body(request, allowed=("role_name", "permissions", "description"))
    changes = _apply_role_update(context, project["id"], role, body)
    if changes:
        role["_updated_at"] = context.now
        context.store.put("project_role", role, scope=project["id"])
        changes.update(resource_id=project["id"], resource_type=PROJECT_RESOURCE_TYPE)
        record_event(context, "role.updated", {"id": role["id"], "changes_requested": changes})
    return ok(public(role))


def _apply_role_update(context: AdminContext, project_id: str, role: Obj, body: Obj) -> Obj:
    changes: Obj = {}
    name = body.get("role_name")
    if name is not None and name != role["name"]:
        _check_unique_name(context, project_id, check_name(name, "role_name"))
        role["name"] = changes["role_name"] = name
    if body.get("permissions") is not None:
        new = _check_permissions(body["permissions"])
        added = [p for p in new if p not in role["permissions"]]
        removed = [p for p in role["permissions"] if p not in new]
        if added or removed:
            role["permissions"] = new
            changes.update(permissions_added=added, permissions_removed=removed)
    if "description" in body and body["description"] != role["description"]:
        role["description"] = changes["description"] = _check_description(body["description"])
    return changes


async def delete_role(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    role = _custom_role(context, project["id"], path_param(request, "role_id"))
    with context.store.transaction():
        held = context.store.list(
            "project_role_assignment",
            scope=project["id"],
            where=lambda a: a["role_id"] == role["id"],
        )
        for assignment in held:
            context.store.delete("project_role_assignment", assignment["id"])
        context.store.delete("project_role", role["id"])
        record_event(context, "role.deleted", {"id": role["id"]})
    return ok({"object": "role.deleted", "id": role["id"], "deleted": True})


ROUTES: list[BaseRoute] = [
    Route("/projects/{project_id}/roles", list_roles, methods=["GET"]),
    Route("/projects/{project_id}/roles", create_role, methods=["POST"]),
    Route("/projects/{project_id}/roles/{role_id}", retrieve_role, methods=["GET"]),
    Route("/projects/{project_id}/roles/{role_id}", update_role, methods=["POST"]),
    Route("/projects/{project_id}/roles/{role_id}", delete_role, methods=["DELETE"]),
]
