"""Project roles (RBAC): three predefined roles plus custom ones, and their assignments.

Serves /projects/{project_id}/roles and the `/roles` sub-resources of project users and groups
(paths outside /organization, as the API has them). `project_members` calls `find_role` and
`assign` when a group is added with a role. Custom roles live in the `"project_role"` kind,
assignments in `"project_role_assignment"` (both scoped to the project).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import APIError, Obj, check_type, invalid
from ..store import new_id
from .project_common import (
    PROJECT_RESOURCE_TYPE,
    AdminContext,
    ListStyle,
    admin_context,
    check_name,
    check_string_list,
    cursor_page,
    object_body,
    ok,
    path_param,
    project_for_read,
    project_for_write,
    public,
    record_event,
    scoped_id,
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
_ASSIGNMENT_LIST = ListStyle(
    default_limit=100, min_limit=0, max_limit=1000, has_order=True, next_cursor=True
)
PRINCIPAL_KINDS = {"user": "org_user", "group": "group"}


# -- roles ---------------------------------------------------------------------------------------


def project_roles(context: AdminContext, project_id: str) -> list[Obj]:
    """Predefined roles first, then the project's custom roles (stored form)."""
    return [*PREDEFINED_ROLES, *context.store.list("project_role", scope=project_id)]


def find_role(context: AdminContext, project_id: str, role: str, param: str = "role_id") -> Obj:
    """A project role by id, or a predefined one by name (`owner`, `member`, `viewer`)."""
    for candidate in project_roles(context, project_id):
        if candidate["id"] == role or (candidate["predefined_role"] and candidate["name"] == role):
            return candidate
    raise APIError(404, f"Role with id '{role}' not found in project '{project_id}'.", param=param)


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
    context = admin_context(request)
    project = project_for_read(context, path_param(request, "project_id"))
    roles = [public(r) for r in project_roles(context, project["id"])]
    return cursor_page(request, roles, _ROLE_LIST)


async def create_role(request: Request) -> Response:
    context = admin_context(request)
    project = project_for_write(context, path_param(request, "project_id"))
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
    context = admin_context(request)
    project = project_for_read(context, path_param(request, "project_id"))
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
    context = admin_context(request)
    project = project_for_write(context, path_param(request, "project_id"))
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
    context = admin_context(request)
    project = project_for_write(context, path_param(request, "project_id"))
    role = _custom_role(context, project["id"], path_param(request, "role_id"))
    with context.store.transaction():
        for assignment in _assignments(context, project["id"], role_id=role["id"]):
            context.store.delete("project_role_assignment", assignment["id"])
        context.store.delete("project_role", role["id"])
        record_event(context, "role.deleted", {"id": role["id"]})
    return ok({"object": "role.deleted", "id": role["id"], "deleted": True})


# -- assignments ---------------------------------------------------------------------------------


def _assignments(context: AdminContext, project_id: str, **match: str) -> list[Obj]:
    return context.store.list(
        "project_role_assignment",
        scope=project_id,
        where=lambda a: all(a[key] == value for key, value in match.items()),
    )


def _assignment_id(project_id: str, principal_type: str, principal_id: str, role_id: str) -> str:
    return scoped_id(project_id, f"{principal_type}:{principal_id}:{role_id}")


def assign(
    context: AdminContext, project_id: str, principal_type: str, principal_id: str, role: Obj
) -> Obj:
    """Give `role` to a user or group in the project (idempotent) and audit it."""
    assignment_id = _assignment_id(project_id, principal_type, principal_id, role["id"])
    existing = context.store.get("project_role_assignment", assignment_id)
    if existing is not None:
        return existing
    assignment = {
        "id": assignment_id,
        "principal_type": principal_type,
        "principal_id": principal_id,
        "role_id": role["id"],
        "created_at": context.now,
        "created_by": context.caller.actor_id,
    }
    context.store.put("project_role_assignment", assignment, scope=project_id)
    record_event(context, "role.assignment.created", _assignment_event(project_id, assignment))
    return assignment


def unassign_all(
    context: AdminContext, project_id: str, principal_type: str, principal_id: str
) -> int:
    """Drop (and audit) every role a principal holds in the project; how many there were."""
    matches = _assignments(
        context, project_id, principal_type=principal_type, principal_id=principal_id
    )
    for assignment in matches:
        context.store.delete("project_role_assignment", assignment["id"])
        record_event(context, "role.assignment.deleted", _assignment_event(project_id, assignment))
    return len(matches)


def _assignment_event(project_id: str, assignment: Obj) -> Obj:
    return {
        "id": assignment["id"],
        "principal_id": assignment["principal_id"],
        "principal_type": assignment["principal_type"],
        "resource_id": project_id,
        "resource_type": PROJECT_RESOURCE_TYPE,
    }


def _principal(context: AdminContext, principal_type: str, principal_id: str) -> Obj:
    found = context.store.get(PRINCIPAL_KINDS[principal_type], principal_id)
    if found is None:
        raise APIError(
            404,
            f"{principal_type.capitalize()} with id '{principal_id}' not found.",
            param=f"{principal_type}_id",
        )
    return public(found)


def _render_principal(principal_type: str, principal: Obj) -> Obj:
    if principal_type == "group":
        return {
            "object": "group",
            "created_at": principal.get("created_at", 0),
            "scim_managed": principal.get("scim_managed", False),
            **principal,
        }
    return principal


def _assigned_details(context: AdminContext, role: Obj, assignment: Obj) -> Obj:
    creator = context.store.get("org_user", str(role.get("_created_by") or ""))
    details = {key: value for key, value in public(role).items() if key != "object"}
    details.update(
        created_at=role.get("_created_at"),
        updated_at=role.get("_updated_at"),
        created_by=role.get("_created_by"),
        created_by_user_obj=None
        if creator is None
        else {"id": creator["id"], "name": creator.get("name"), "email": creator.get("email")},
        metadata={},
        assignment_sources=[
            {
                "principal_id": assignment["principal_id"],
                "principal_type": assignment["principal_type"],
            }
        ],
    )
    return details


def _assignment_routes(principal_type: str) -> list[BaseRoute]:
    """List, assign, retrieve, unassign: `/projects/{project_id}/{users|groups}/{id}/roles`."""
    key = f"{principal_type}_id"

    def _target(request: Request, *, write: bool) -> tuple[AdminContext, str, str]:
        context = admin_context(request)
        find = project_for_write if write else project_for_read
        project = find(context, path_param(request, "project_id"))
        principal_id = path_param(request, key)
        _principal(context, principal_type, principal_id)
        return context, project["id"], principal_id

    def _held(context: AdminContext, project_id: str, principal_id: str) -> list[tuple[Obj, Obj]]:
        held = _assignments(
            context, project_id, principal_type=principal_type, principal_id=principal_id
        )
        roles = {r["id"]: r for r in project_roles(context, project_id)}
        return [(roles[a["role_id"]], a) for a in held if a["role_id"] in roles]

    async def list_assigned(request: Request) -> Response:
        context, project_id, principal_id = _target(request, write=False)
        pairs = _held(context, project_id, principal_id)
        return cursor_page(
            request, [_assigned_details(context, r, a) for r, a in pairs], _ASSIGNMENT_LIST
        )

    async def create_assignment(request: Request) -> Response:
        context, project_id, principal_id = _target(request, write=True)
        body = await object_body(request, allowed=(), required=("role_id",))
        check_type(body["role_id"], str, "role_id")
        role = find_role(context, project_id, body["role_id"])
        assign(context, project_id, principal_type, principal_id, role)
        principal = _render_principal(
            principal_type, _principal(context, principal_type, principal_id)
        )
        return ok(
            {"object": f"{principal_type}.role", principal_type: principal, "role": public(role)}
        )

    async def retrieve_assignment(request: Request) -> Response:
        context, project_id, principal_id = _target(request, write=False)
        role_id = path_param(request, "role_id")
        for role, assignment in _held(context, project_id, principal_id):
            if role["id"] == role_id:
                return ok(_assigned_details(context, role, assignment))
        raise _not_assigned(principal_type, principal_id, role_id)

    async def delete_assignment(request: Request) -> Response:
        context, project_id, principal_id = _target(request, write=True)
        role_id = path_param(request, "role_id")
        assignment_id = _assignment_id(project_id, principal_type, principal_id, role_id)
        assignment = context.store.get("project_role_assignment", assignment_id)
        if assignment is None:
            raise _not_assigned(principal_type, principal_id, role_id)
        context.store.delete("project_role_assignment", assignment_id)
        record_event(context, "role.assignment.deleted", _assignment_event(project_id, assignment))
        return ok({"object": f"{principal_type}.role.deleted", "deleted": True})

    base = f"/projects/{{project_id}}/{principal_type}s/{{{key}}}/roles"
    return [
        Route(base, list_assigned, methods=["GET"]),
        Route(base, create_assignment, methods=["POST"]),
        Route(base + "/{role_id}", retrieve_assignment, methods=["GET"]),
        Route(base + "/{role_id}", delete_assignment, methods=["DELETE"]),
    ]


def _not_assigned(principal_type: str, principal_id: str, role_id: str) -> APIError:
    return APIError(
        404,
        f"Role '{role_id}' is not assigned to {principal_type} '{principal_id}' in this project.",
        param="role_id",
    )


ROUTES: list[BaseRoute] = [
    Route("/projects/{project_id}/roles", list_roles, methods=["GET"]),
    Route("/projects/{project_id}/roles", create_role, methods=["POST"]),
    Route("/projects/{project_id}/roles/{role_id}", retrieve_role, methods=["GET"]),
    Route("/projects/{project_id}/roles/{role_id}", update_role, methods=["POST"]),
    Route("/projects/{project_id}/roles/{role_id}", delete_role, methods=["DELETE"]),
    *_assignment_routes("user"),
    *_assignment_routes("group"),
]
