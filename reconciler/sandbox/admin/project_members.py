"""Who belongs to a project: its users (owner | member) and the groups granted access to it.

Serves /organization/projects/{project_id}/users[/{user_id}] and .../groups[/{group_id}].
Users and groups must already exist in the organization (the `"org_user"` and `"group"` kinds,
written by organization.py); a membership whose user or group has gone is not shown. Other
modules call `add_member` (a new project's creator) and `member_role` (API key owners).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import APIError, Obj, check_type, invalid
from . import project_role_assignments, project_roles
from .project_common import (
    AdminContext,
    ListStyle,
    admin_project,
    check_enum,
    cursor_page,
    not_in_project,
    object_body,
    ok,
    path_param,
    query_choice,
    record_event,
    scoped_id,
)

PROJECT_USER_ROLES = ("owner", "member")
_USER_LIST = ListStyle(default_limit=20, max_limit=100)
_GROUP_LIST = ListStyle(
    default_limit=20, min_limit=0, max_limit=100, has_order=True, next_cursor=True
)
_DEFAULT_OWNER_FLAG = "projects.default_owner_added"


# -- users ---------------------------------------------------------------------------------------


def add_member(context: AdminContext, project_id: str, user_id: str, role: str) -> Obj:
    """Make an organization user a project member with `role` (an existing member keeps the
    date they joined). Also called by the organization half when an invite is accepted."""
    record_id = scoped_id(project_id, user_id)
    existing = context.store.get("project_user", record_id)
    record = {
        "id": record_id,
        "user_id": user_id,
        "role": role,
        "added_at": context.now if existing is None else existing["added_at"],
    }
    return context.store.put("project_user", record, scope=project_id)


def _ensure_default_owner(context: AdminContext, project_id: str) -> None:
    """The organization owner belongs to the seeded default project (added once, lazily)."""
    sandbox = context.sandbox
    if project_id != sandbox.default_project_id or context.store.get_setting(_DEFAULT_OWNER_FLAG):
        return
    context.store.set_setting(_DEFAULT_OWNER_FLAG, True)
    if context.store.get("org_user", sandbox.owner_user_id) is not None:
        owner = add_member(context, project_id, sandbox.owner_user_id, "owner")
        owner["added_at"] = (context.store.get("project", project_id) or {}).get("created_at", 0)
        context.store.put("project_user", owner, scope=project_id)


def _render_user(record: Obj, user: Obj) -> Obj:
    return {
        "object": "organization.project.user",
        "id": user["id"],
        "name": user.get("name"),
        "email": user.get("email"),
        "role": record["role"],
        "added_at": record["added_at"],
    }


def project_users(context: AdminContext, project_id: str) -> list[Obj]:
    """The project's users in the API shape, oldest membership first."""
    _ensure_default_owner(context, project_id)
    users = []
    for record in context.store.list("project_user", scope=project_id):
        user = context.store.get("org_user", record["user_id"])
        if user is not None:
            users.append(_render_user(record, user))
    return users


def member_role(context: AdminContext, project_id: str, user_id: str) -> str | None:
    """The user's role in the project, or None when not a member."""
    _ensure_default_owner(context, project_id)
    record = context.store.get("project_user", scoped_id(project_id, user_id))
    if record is None or context.store.get("org_user", user_id) is None:
        return None
    return str(record["role"])


def _membership(context: AdminContext, project_id: str, user_id: str) -> Obj:
    if member_role(context, project_id, user_id) is None:
        raise not_in_project("User", user_id, project_id, "user_id")
    record = context.store.get("project_user", scoped_id(project_id, user_id))
    assert record is not None
    return record


def _org_user(context: AdminContext, body: Obj) -> Obj:
    """The organization user a create-project-user body names, by `user_id` or `email`."""
    user_id, email = body.get("user_id"), body.get("email")
    if user_id is None and email is None:
        raise invalid(
            "Missing required parameter: 'user_id' (or 'email').",
            param="user_id",
            code="missing_required_parameter",
        )
    if user_id is not None:
        check_type(user_id, str, "user_id")
        user = context.store.get("org_user", user_id)
    else:
        check_type(email, str, "email")
        wanted = str(email).lower()
        matches = context.store.list(
            "org_user", where=lambda u: str(u.get("email") or "").lower() == wanted
        )
        user = matches[0] if matches else None
    if user is None:
        raise APIError(
            404,
            f"User '{user_id or email}' is not a member of the organization. Users must already "
            "be members of the organization to be added to a project.",
            param="user_id" if user_id is not None else "email",
        )
    return user


async def list_users(request: Request) -> Response:
    context, project = admin_project(request)
    return cursor_page(request, project_users(context, project["id"]), _USER_LIST)


async def create_user(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    body = await object_body(request, allowed=("user_id", "email"), required=("role",))
    role = check_enum(body["role"], "role", PROJECT_USER_ROLES)
    user = _org_user(context, body)
    if member_role(context, project["id"], user["id"]) is not None:
        raise invalid(
            f"User '{user['id']}' is already a member of project '{project['id']}'.",
            param="user_id",
            code="user_already_in_project",
        )
    record = add_member(context, project["id"], user["id"], role)
    record_event(context, "user.added", {"id": user["id"], "data": {"role": role}})
    return ok(_render_user(record, user))


async def retrieve_user(request: Request) -> Response:
    context, project = admin_project(request)
    record = _membership(context, project["id"], path_param(request, "user_id"))
    return ok(_render_user(record, context.store.get("org_user", record["user_id"]) or {}))


async def update_user(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    record = _membership(context, project["id"], path_param(request, "user_id"))
    body = await object_body(request, allowed=("role",))
    if body.get("role") is not None and body["role"] != record["role"]:
        record["role"] = check_enum(body["role"], "role", PROJECT_USER_ROLES)
        context.store.put("project_user", record, scope=project["id"])
        changes = {"role": record["role"]}
        record_event(
            context, "user.updated", {"id": record["user_id"], "changes_requested": changes}
        )
    return ok(_render_user(record, context.store.get("org_user", record["user_id"]) or {}))


async def delete_user(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    record = _membership(context, project["id"], path_param(request, "user_id"))
    with context.store.transaction():
        context.store.delete("project_user", record["id"])
        project_role_assignments.unassign_all(context, project["id"], "user", record["user_id"])
        record_event(context, "user.deleted", {"id": record["user_id"]})
    return ok(
        {"object": "organization.project.user.deleted", "id": record["user_id"], "deleted": True}
    )


# -- groups --------------------------------------------------------------------------------------


def _render_group(project_id: str, record: Obj, group: Obj) -> Obj:
    return {
        "object": "project.group",
        "project_id": project_id,
        "group_id": group["id"],
        "group_name": group.get("name") or "",
        "group_type": "group",
        "created_at": record["created_at"],
    }


def project_groups(context: AdminContext, project_id: str) -> list[Obj]:
    groups = []
    for record in context.store.list("project_group", scope=project_id):
        group = context.store.get("group", record["group_id"])
        if group is not None:
            groups.append(_render_group(project_id, record, group))
    return groups


def _project_group(context: AdminContext, project_id: str, group_id: str) -> tuple[Obj, Obj]:
    record = context.store.get("project_group", scoped_id(project_id, group_id))
    group = context.store.get("group", group_id)
    if record is None or group is None:
        raise not_in_project("Group", group_id, project_id, "group_id")
    return record, group


async def list_groups(request: Request) -> Response:
    context, project = admin_project(request)
    groups = project_groups(context, project["id"])
    return cursor_page(request, groups, _GROUP_LIST, id_of=lambda g: str(g["group_id"]))


async def add_group(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    body = await object_body(request, allowed=(), required=("group_id", "role"))
    check_type(body["group_id"], str, "group_id")
    check_type(body["role"], str, "role")
    group = context.store.get("group", body["group_id"])
    if group is None:
        raise APIError(404, f"Group with id '{body['group_id']}' not found.", param="group_id")
    role = project_roles.find_role(context, project["id"], body["role"], param="role")
    record_id = scoped_id(project["id"], group["id"])
    with context.store.transaction():
        record = context.store.get("project_group", record_id) or {
            "id": record_id,
            "group_id": group["id"],
            "created_at": context.now,
        }
        context.store.put("project_group", record, scope=project["id"])
        project_role_assignments.assign(context, project["id"], "group", group["id"], role)
    return ok(_render_group(project["id"], record, group))


async def retrieve_group(request: Request) -> Response:
    context, project = admin_project(request)
    query_choice(request, "group_type", ("group", "tenant_group"), "group")
    record, group = _project_group(context, project["id"], path_param(request, "group_id"))
    return ok(_render_group(project["id"], record, group))


async def remove_group(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    record, group = _project_group(context, project["id"], path_param(request, "group_id"))
    with context.store.transaction():
        context.store.delete("project_group", record["id"])
        if not project_role_assignments.unassign_all(context, project["id"], "group", group["id"]):
            event = {
                "id": record["id"],
                "principal_id": group["id"],
                "principal_type": "group",
                "resource_id": project["id"],
                "resource_type": "api.project",
            }
            record_event(context, "role.assignment.deleted", event)
    return ok({"object": "project.group.deleted", "deleted": True})


_USERS = "/organization/projects/{project_id}/users"
_GROUPS = "/organization/projects/{project_id}/groups"
ROUTES: list[BaseRoute] = [
    Route(_USERS, list_users, methods=["GET"]),
    Route(_USERS, create_user, methods=["POST"]),
    Route(_USERS + "/{user_id}", retrieve_user, methods=["GET"]),
    Route(_USERS + "/{user_id}", update_user, methods=["POST"]),
    Route(_USERS + "/{user_id}", delete_user, methods=["DELETE"]),
    Route(_GROUPS, list_groups, methods=["GET"]),
    Route(_GROUPS, add_group, methods=["POST"]),
    Route(_GROUPS + "/{group_id}", retrieve_group, methods=["GET"]),
    Route(_GROUPS + "/{group_id}", remove_group, methods=["DELETE"]),
]
