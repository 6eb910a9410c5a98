"""Project role assignments: which project roles a user or a group holds in a project.

Serves /projects/{project_id}/users/{user_id}/roles[/{role_id}] and the same for groups.
`project_members` calls `assign` when a group is added with a role and `unassign_all` when a
user or group leaves. Assignments live in the `"project_role_assignment"` kind (scoped to the
project); the roles themselves come from `project_roles`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import APIError, Obj, check_type
from .project_common import (
    PROJECT_RESOURCE_TYPE,
    AdminContext,
    ListStyle,
    admin_project,
    cursor_page,
    object_body,
    ok,
    path_param,
    public,
    record_event,
    scoped_id,
)
from .project_roles import find_role, project_roles

_ASSIGNMENT_LIST = ListStyle(
    default_limit=100, min_limit=0, max_limit=1000, has_order=True, next_cursor=True
)
PRINCIPAL_KINDS = {"user": "org_user", "group": "group"}


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
        context, project = admin_project(request, write=write)
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


ROUTES: list[BaseRoute] = [*_assignment_routes("user"), *_assignment_routes("group")]
