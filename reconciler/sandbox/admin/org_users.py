"""Organization users: list, retrieve, change role, remove, and their role assignments.

Serves /organization/users[/{id}[/roles]]. Users are `"org_user"` records (the API's
`organization.user` shape): the owner is seeded by `app.seed`, everyone else arrives by accepting
an invite (see `org_invites.accept_due_invites`, run before every read here).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import APIError, Obj, check_params, check_type, invalid, json_body, json_response
from ..http import paginate as http_paginate
from .org_common import (
    AdminContext,
    admin_context,
    check_enum,
    path_param,
    query_list,
    record_event,
)
from .org_invites import accept_due_invites
from .org_roles import (
    ROLE_ID_OF_MEMBER_ROLE,
    PrincipalRoles,
    add_assignment,
    assignments_of,
    find_role,
    remove_assignment,
)

USER_ROLES = ("owner", "reader")


def org_users(context: AdminContext) -> list[Obj]:
    accept_due_invites(context)
    return context.sandbox.store.list("org_user")


def find_user(context: AdminContext, user_id: str) -> Obj:
    accept_due_invites(context)
    user = context.sandbox.store.get("org_user", user_id)
    if user is None:
        raise APIError(404, f"User with ID '{user_id}' not found.", param="user_id")
    return user


def _check_keeps_an_owner(context: AdminContext, user: Obj) -> None:
    """The organization must keep at least one owner (removing or demoting the last fails)."""
    owners = [u for u in org_users(context) if u.get("role") == "owner"]
    if user.get("role") == "owner" and len(owners) <= 1:
        raise invalid(
            "An organization must have at least one owner; make another user an owner first.",
            param="user_id",
            code="last_owner",
        )


def _set_role(context: AdminContext, user: Obj, role: str) -> Obj:
    if role != user.get("role"):
        if role != "owner":
            _check_keeps_an_owner(context, user)
        user["role"] = role
        context.sandbox.store.put("org_user", user)
        record_event(
            context, "user.updated", {"id": user["id"], "changes_requested": {"role": role}}
        )
    return user


async def list_users(request: Request) -> Response:
    context = admin_context(request)
    emails = {email.lower() for email in query_list(request, "emails")}
    users = [u for u in org_users(context) if not emails or str(u.get("email")).lower() in emails]
    return http_paginate(request, users, default_order="asc", has_order=False)


async def retrieve_user(request: Request) -> Response:
    context = admin_context(request)
    return json_response(find_user(context, path_param(request, "user_id")))


def _check_optional_str(body: Obj, name: str) -> Any:
    value = body.get(name)
    if value is not None:
        check_type(value, str, name)
    return value


async def update_user(request: Request) -> Response:
    context = admin_context(request)
    user = find_user(context, path_param(request, "user_id"))
    body = await json_body(request)
    check_params(body, allowed=("role", "role_id", "technical_level", "developer_persona"))
    for name in ("technical_level", "developer_persona"):
        if _check_optional_str(body, name) is not None:
            user[name] = body[name]
            context.sandbox.store.put("org_user", user)
    if body.get("role") is not None:
        user = _set_role(context, user, check_enum(body["role"], "role", USER_ROLES))
    if _check_optional_str(body, "role_id") is not None:
        role = find_role(context, body["role_id"])
        updated = _assign_role(context, user, role)
        if updated is None:
            add_assignment(context, "user", user["id"], role)
    return json_response(user)


async def delete_user(request: Request) -> Response:
    context = admin_context(request)
    user = find_user(context, path_param(request, "user_id"))
    _check_keeps_an_owner(context, user)
    store = context.sandbox.store
    for membership in store.list("group_user", where=lambda m: m["user_id"] == user["id"]):
        store.delete("group_user", membership["id"])
    for assignment in assignments_of(context, "user", user["id"]):
        remove_assignment(context, assignment)
    store.delete("org_user", user["id"])
    record_event(context, "user.deleted", {"id": user["id"]})
    return json_response({"object": "organization.user.deleted", "id": user["id"], "deleted": True})


# -- /organization/users/{user_id}/roles ---------------------------------------------------------


def _implicit_roles(context: AdminContext, user: Obj) -> list[Obj]:
    """Every user holds the predefined role named by its `role` field."""
    role_id = ROLE_ID_OF_MEMBER_ROLE.get(str(user.get("role")))
    return [] if role_id is None else [find_role(context, role_id)]


def _assign_role(context: AdminContext, user: Obj, role: Obj) -> Obj | None:
    """Assigning a predefined role changes the user's `role`; custom roles are assignments."""
    if role["predefined_role"]:
        return _set_role(context, user, role["name"])
    return None


USER_ROLES_SUBRESOURCE = PrincipalRoles(
    principal_type="user",
    id_param="user_id",
    lookup=find_user,
    implicit_roles=_implicit_roles,
    assign_hook=_assign_role,
    answer=lambda user, role: {"object": "user.role", "user": user, "role": role},
)

ROUTES: list[BaseRoute] = [
    Route("/organization/users", list_users, methods=["GET"]),
    Route("/organization/users/{user_id}", retrieve_user, methods=["GET"]),
    Route("/organization/users/{user_id}", update_user, methods=["POST"]),
    Route("/organization/users/{user_id}", delete_user, methods=["DELETE"]),
    *USER_ROLES_SUBRESOURCE.routes("/organization/users/{user_id}"),
]
