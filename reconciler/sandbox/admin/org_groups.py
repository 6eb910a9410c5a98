"""Organization groups, their members and their role assignments.

Serves /organization/groups[/{id}[/users|/roles]]. Groups are `"group"` records (the API's
`GroupResponse` shape); memberships are `"group_user"` records ({id, group_id, user_id,
added_at}, scope = the group id) so a group's members are one indexed read.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import APIError, Obj, check_params, check_type, invalid, json_body, json_response
from ..store import new_id
from .org_common import AdminContext, admin_context, cursor_page, path_param, record_event
from .org_roles import PrincipalRoles, assignments_of, remove_assignment
from .org_users import find_user

NAME_MAX_LENGTH = 255


def find_group(context: AdminContext, group_id: str) -> Obj:
    group = context.sandbox.store.get("group", group_id)
    if group is None:
        raise APIError(404, f"Group with ID '{group_id}' not found.", param="group_id")
    return group


def _check_name(name: Any) -> str:
    check_type(name, str, "name")
    if not 1 <= len(name) <= NAME_MAX_LENGTH:
        raise invalid(
            f"Invalid 'name': expected a string of 1 to {NAME_MAX_LENGTH} characters, but got "
            f"a string with length {len(name)} instead.",
            param="name",
            code="string_above_max_length" if name else "string_below_min_length",
        )
    return str(name)


async def list_groups(request: Request) -> Response:
    context = admin_context(request)
    return cursor_page(request, context.sandbox.store.list("group"), default_limit=100)


async def create_group(request: Request) -> Response:
    context = admin_context(request)
    body = await json_body(request)
    check_params(body, allowed=(), required=("name",))
    group: Obj = {
        "id": new_id("group_"),
        "name": _check_name(body["name"]),
        "created_at": context.now,
        "is_scim_managed": False,
        "group_type": "group",
    }
    context.sandbox.store.put("group", group)
    record_event(
        context, "group.created", {"id": group["id"], "data": {"group_name": group["name"]}}
    )
    return json_response(group)


async def retrieve_group(request: Request) -> Response:
    context = admin_context(request)
    return json_response(find_group(context, path_param(request, "group_id")))


async def update_group(request: Request) -> Response:
    context = admin_context(request)
    group = find_group(context, path_param(request, "group_id"))
    body = await json_body(request)
    check_params(body, allowed=(), required=("name",))
    group["name"] = _check_name(body["name"])
    context.sandbox.store.put("group", group)
    record_event(
        context,
        "group.updated",
        {"id": group["id"], "changes_requested": {"group_name": group["name"]}},
    )
    return json_response(group)


async def delete_group(request: Request) -> Response:
    context = admin_context(request)
    group = find_group(context, path_param(request, "group_id"))
    store = context.sandbox.store
    for membership in store.list("group_user", scope=group["id"]):
        store.delete("group_user", membership["id"])
    for assignment in assignments_of(context, "group", group["id"]):
        remove_assignment(context, assignment)
    store.delete("group", group["id"])
    record_event(context, "group.deleted", {"id": group["id"]})
    return json_response({"object": "group.deleted", "id": group["id"], "deleted": True})


# -- /organization/groups/{group_id}/users --------------------------------------------------------


def _membership_id(group_id: str, user_id: str) -> str:
    return f"{group_id}:{user_id}"


def _members(context: AdminContext, group_id: str) -> list[Obj]:
    store = context.sandbox.store
    users = (store.get("org_user", m["user_id"]) for m in store.list("group_user", scope=group_id))
    return [user for user in users if user is not None]


async def list_group_users(request: Request) -> Response:
    context = admin_context(request)
    group = find_group(context, path_param(request, "group_id"))
    members = [
        {"id": u["id"], "name": u.get("name") or "", "email": u.get("email")}
        for u in _members(context, group["id"])
    ]
    return cursor_page(request, members, default_limit=100, default_order="desc")


async def add_group_user(request: Request) -> Response:
    context = admin_context(request)
    group = find_group(context, path_param(request, "group_id"))
    body = await json_body(request)
    check_params(body, allowed=(), required=("user_id",))
    check_type(body["user_id"], str, "user_id")
    user = find_user(context, body["user_id"])
    key = _membership_id(group["id"], user["id"])
    store = context.sandbox.store
    if store.get("group_user", key) is None:
        membership = {"id": key, "group_id": group["id"], "user_id": user["id"]}
        store.put("group_user", {**membership, "added_at": context.now}, scope=group["id"])
        record_event(
            context,
            "group.updated",
            {"id": group["id"], "changes_requested": {"user_added": user["id"]}},
        )
    return json_response({"object": "group.user", "user_id": user["id"], "group_id": group["id"]})


def _membership(context: AdminContext, request: Request) -> tuple[Obj, Obj]:
    group = find_group(context, path_param(request, "group_id"))
    user_id = path_param(request, "user_id")
    membership = context.sandbox.store.get("group_user", _membership_id(group["id"], user_id))
    if membership is None:
        raise APIError(
            404, f"User '{user_id}' is not a member of group '{group['id']}'.", param="user_id"
        )
    return group, membership


async def retrieve_group_user(request: Request) -> Response:
    context = admin_context(request)
    _, membership = _membership(context, request)
    user = find_user(context, membership["user_id"])
    return json_response(
        {
            "id": user["id"],
            "name": user.get("name") or "",
            "email": user.get("email"),
            "picture": None,
            "is_service_account": False,
            "user_type": "user",
        }
    )


async def remove_group_user(request: Request) -> Response:
    context = admin_context(request)
    group, membership = _membership(context, request)
    context.sandbox.store.delete("group_user", membership["id"])
    record_event(
        context,
        "group.updated",
        {"id": group["id"], "changes_requested": {"user_removed": membership["user_id"]}},
    )
    return json_response({"object": "group.user.deleted", "deleted": True})


def _group_summary(group: Obj) -> Obj:
    """The `Group` shape nested in a `group.role` answer."""
    return {
        "object": "group",
        "id": group["id"],
        "name": group["name"],
        "created_at": group["created_at"],
        "scim_managed": group["is_scim_managed"],
    }


GROUP_ROLES_SUBRESOURCE = PrincipalRoles(
    principal_type="group",
    id_param="group_id",
    lookup=find_group,
    implicit_roles=lambda context, group: [],
    assign_hook=lambda context, group, role: None,
    answer=lambda group, role: {
        "object": "group.role",
        "group": _group_summary(group),
        "role": role,
    },
)

ROUTES: list[BaseRoute] = [
    Route("/organization/groups", list_groups, methods=["GET"]),
    Route("/organization/groups", create_group, methods=["POST"]),
    Route("/organization/groups/{group_id}", retrieve_group, methods=["GET"]),
    Route("/organization/groups/{group_id}", update_group, methods=["POST"]),
    Route("/organization/groups/{group_id}", delete_group, methods=["DELETE"]),
    Route("/organization/groups/{group_id}/users", list_group_users, methods=["GET"]),
    Route("/organization/groups/{group_id}/users", add_group_user, methods=["POST"]),
    Route("/organization/groups/{group_id}/users/{user_id}", retrieve_group_user, methods=["GET"]),
    Route("/organization/groups/{group_id}/users/{user_id}", remove_group_user, methods=["DELETE"]),
    *GROUP_ROLES_SUBRESOURCE.routes("/organization/groups/{group_id}"),
]
