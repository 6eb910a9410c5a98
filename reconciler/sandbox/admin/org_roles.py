"""Organization roles: the two predefined roles plus custom ones, and role assignments.

Serves /organization/roles; `org_users` and `org_groups` call `assignment_routes` for their
`/roles` sub-resources. Custom roles live in the `"role"` kind (private `_created_at`,
`_updated_at`, `_created_by` stripped on output); assignments in `"role_assignment"`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import APIError, Obj, check_params, check_type, invalid, json_body, json_response
from ..store import new_id
from .org_common import (
    ORG_RESOURCE_TYPE,
    AdminContext,
    admin_context,
    cursor_page,
    path_param,
    public,
    record_event,
)

OWNER_ROLE_ID = "role_org_owner"
READER_ROLE_ID = "role_org_reader"

_OWNER_PERMISSIONS = [
    "api.organization.read",
    "api.organization.write",
    "api.projects.read",
    "api.projects.write",
    "api.users.read",
    "api.users.write",
    "api.groups.read",
    "api.groups.write",
    "api.roles.read",
    "api.roles.write",
    "api.audit_logs.read",
    "api.usage.read",
    "api.management.read",
    "api.management.write",
]
PREDEFINED_ROLES: tuple[Obj, ...] = (
    {
        "object": "role",
        "id": OWNER_ROLE_ID,
        "name": "owner",
        "description": "Full access to the organization: billing, members, projects and keys.",
        "permissions": _OWNER_PERMISSIONS,
        "resource_type": ORG_RESOURCE_TYPE,
        "predefined_role": True,
    },
    {
        "object": "role",
        "id": READER_ROLE_ID,
        "name": "reader",
        "description": "Can use the API and read organization settings.",
        "permissions": [p for p in _OWNER_PERMISSIONS if p.endswith(".read")],
        "resource_type": ORG_RESOURCE_TYPE,
        "predefined_role": True,
    },
)
ROLE_ID_OF_MEMBER_ROLE = {"owner": OWNER_ROLE_ID, "reader": READER_ROLE_ID}
_PERMISSION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


# -- lookups -------------------------------------------------------------------------------------


def all_roles(context: AdminContext) -> list[Obj]:
    return [*PREDEFINED_ROLES, *context.sandbox.store.list("role")]


def find_role(context: AdminContext, role_id: str) -> Obj:
    for role in all_roles(context):
        if role["id"] == role_id:
            return role
    raise APIError(404, f"Role with ID '{role_id}' not found.", param="role_id")


def _assigned_details(role: Obj) -> Obj:
    """The `AssignedRoleDetails` shape: the role plus when and by whom it was made."""
    details = {key: value for key, value in public(role).items() if key != "object"}
    details.update(
        created_at=role.get("_created_at"),
        updated_at=role.get("_updated_at"),
        created_by=role.get("_created_by"),
        created_by_user_obj=None,
        metadata={},
        assignment_sources=None,
    )
    return details


# -- /organization/roles ------------------------------------------------------------------------


def _check_role_name(context: AdminContext, name: Any, role_id: str | None = None) -> str:
    check_type(name, str, "role_name")
    if not name.strip():
        raise invalid("'role_name' must not be empty.", param="role_name", code="invalid_value")
    for role in all_roles(context):
        if role["name"].lower() == name.lower() and role["id"] != role_id:
            raise invalid(
                f"A role named '{name}' already exists in this organization.",
                param="role_name",
                code="role_name_taken",
            )
    return str(name)


def _check_permissions(permissions: Any) -> list[str]:
    check_type(permissions, list, "permissions")
    for index, permission in enumerate(permissions):
        check_type(permission, str, f"permissions[{index}]")
        if not _PERMISSION.match(permission):
            raise invalid(
                f"Invalid permission '{permission}': expected a dotted name such as "
                "'api.groups.read'.",
                param=f"permissions[{index}]",
                code="invalid_value",
            )
    return list(dict.fromkeys(permissions))


def _check_description(description: Any) -> str | None:
    if description is not None:
        check_type(description, str, "description")
    return description if description is None else str(description)


async def list_roles(request: Request) -> Response:
    context = admin_context(request)
    roles = [public(role) for role in all_roles(context)]
    return cursor_page(request, roles, default_limit=1000)


async def create_role(request: Request) -> Response:
    context = admin_context(request)
    body = await json_body(request)
    check_params(body, allowed=("description",), required=("role_name", "permissions"))
    name = _check_role_name(context, body["role_name"])
    permissions = _check_permissions(body["permissions"])
    now = context.now
    role: Obj = {
        "object": "role",
        "id": new_id("role_"),
        "name": name,
        "description": _check_description(body.get("description")),
        "permissions": permissions,
        "resource_type": ORG_RESOURCE_TYPE,
        "predefined_role": False,
        "_created_at": now,
        "_updated_at": now,
        "_created_by": context.caller.actor_id,
    }
    context.sandbox.store.put("role", role)
    record_event(
        context,
        "role.created",
        {
            "id": role["id"],
            "role_name": name,
            "permissions": permissions,
            "resource_type": ORG_RESOURCE_TYPE,
            "resource_id": context.sandbox.org_id,
        },
    )
    return json_response(public(role))


async def retrieve_role(request: Request) -> Response:
    context = admin_context(request)
    return json_response(public(find_role(context, path_param(request, "role_id"))))


def _custom_role(context: AdminContext, role_id: str, verb: str) -> Obj:
    role = find_role(context, role_id)
    if role["predefined_role"]:
        raise invalid(f"Predefined role '{role['name']}' cannot be {verb}.", param="role_id")
    return role


async def update_role(request: Request) -> Response:
    context = admin_context(request)
    role = _custom_role(context, path_param(request, "role_id"), "modified")
    body = await json_body(request)
    check_params(body, allowed=("role_name", "permissions", "description"))
    changes: Obj = {"resource_type": ORG_RESOURCE_TYPE, "resource_id": context.sandbox.org_id}
    if body.get("role_name") is not None:
        role["name"] = changes["role_name"] = _check_role_name(
            context, body["role_name"], role["id"]
        )
    if body.get("permissions") is not None:
        new = _check_permissions(body["permissions"])
        changes["permissions_added"] = [p for p in new if p not in role["permissions"]]
        changes["permissions_removed"] = [p for p in role["permissions"] if p not in new]
        role["permissions"] = new
    if "description" in body:
        role["description"] = _check_description(body["description"])
        if role["description"] is not None:
            changes["description"] = role["description"]
    role["_updated_at"] = context.now
    context.sandbox.store.put("role", role)
    record_event(context, "role.updated", {"id": role["id"], "changes_requested": changes})
    return json_response(public(role))


async def delete_role(request: Request) -> Response:
    context = admin_context(request)
    role = _custom_role(context, path_param(request, "role_id"), "deleted")
    store = context.sandbox.store
    for assignment in store.list("role_assignment", where=lambda a: a["role_id"] == role["id"]):
        store.delete("role_assignment", assignment["id"])
    store.delete("role", role["id"])
    record_event(context, "role.deleted", {"id": role["id"]})
    return json_response({"object": "role.deleted", "id": role["id"], "deleted": True})


# -- role assignments (users and groups) ----------------------------------------------------------


def assignment_id(principal_type: str, principal_id: str, role_id: str) -> str:
    return f"{principal_type}:{principal_id}:{role_id}"


def assignments_of(context: AdminContext, principal_type: str, principal_id: str) -> list[Obj]:
    return context.sandbox.store.list(
        "role_assignment",
        where=lambda a: a["principal_type"] == principal_type and a["principal_id"] == principal_id,
    )


def add_assignment(context: AdminContext, principal_type: str, principal_id: str, role: Obj) -> Obj:
    """Assign `role` (idempotent: assigning it again keeps the first assignment)."""
    store = context.sandbox.store
    key = assignment_id(principal_type, principal_id, role["id"])
    existing = store.get("role_assignment", key)
    if existing is not None:
        return existing
    assignment: Obj = {
        "id": key,
        "principal_type": principal_type,
        "principal_id": principal_id,
        "role_id": role["id"],
        "created_at": context.now,
    }
    store.put("role_assignment", assignment)
    record_event(context, "role.assignment.created", _assignment_event(context, assignment))
    return assignment


def remove_assignment(context: AdminContext, assignment: Obj) -> None:
    context.sandbox.store.delete("role_assignment", assignment["id"])
    record_event(context, "role.assignment.deleted", _assignment_event(context, assignment))


def _assignment_event(context: AdminContext, assignment: Obj) -> Obj:
    return {
        "id": assignment["id"],
        "principal_id": assignment["principal_id"],
        "principal_type": assignment["principal_type"],
        "resource_id": context.sandbox.org_id,
        "resource_type": ORG_RESOURCE_TYPE,
    }


# A principal's `/roles` sub-resource is the same four handlers for users and groups; the
# principal module supplies how to find the principal, what its built-in role is, and how to
# shape the assignment answer.
PrincipalLookup = Callable[[AdminContext, str], Obj]
ImplicitRoles = Callable[[AdminContext, Obj], list[Obj]]
AssignHook = Callable[[AdminContext, Obj, Obj], Obj | None]


class PrincipalRoles:
    """Handlers of `/{principal}/{id}/roles[/{role_id}]` for one kind of principal."""

    def __init__(
        self,
        principal_type: str,
        id_param: str,
        lookup: PrincipalLookup,
        implicit_roles: ImplicitRoles,
        assign_hook: AssignHook,
        answer: Callable[[Obj, Obj], Obj],
    ) -> None:
        self.principal_type = principal_type
        self.id_param = id_param
        self.lookup = lookup
        self.implicit_roles = implicit_roles
        self.assign_hook = assign_hook
        self.answer = answer

    def _assigned(self, context: AdminContext, principal: Obj) -> list[Obj]:
        roles = list(self.implicit_roles(context, principal))
        for assignment in assignments_of(context, self.principal_type, principal["id"]):
            roles.append(find_role(context, assignment["role_id"]))
        return [_assigned_details(role) for role in roles]

    async def list_assigned(self, request: Request) -> Response:
        context = admin_context(request)
        principal = self.lookup(context, path_param(request, self.id_param))
        return cursor_page(request, self._assigned(context, principal), default_limit=100)

    async def assign(self, request: Request) -> Response:
        context = admin_context(request)
        principal = self.lookup(context, path_param(request, self.id_param))
        body = await json_body(request)
        check_params(body, allowed=(), required=("role_id",))
        check_type(body["role_id"], str, "role_id")
        role = find_role(context, body["role_id"])
        updated = self.assign_hook(context, principal, role)
        if updated is None:
            add_assignment(context, self.principal_type, principal["id"], role)
        else:
            principal = updated
        return json_response(self.answer(principal, public(role)))

    async def retrieve_assigned(self, request: Request) -> Response:
        context = admin_context(request)
        principal = self.lookup(context, path_param(request, self.id_param))
        role_id = path_param(request, "role_id")
        for details in self._assigned(context, principal):
            if details["id"] == role_id:
                return json_response(details)
        raise self._not_assigned(principal, role_id)

    async def unassign(self, request: Request) -> Response:
        context = admin_context(request)
        principal = self.lookup(context, path_param(request, self.id_param))
        role_id = path_param(request, "role_id")
        if any(role["id"] == role_id for role in self.implicit_roles(context, principal)):
            raise invalid(
                "The organization role of a user cannot be unassigned; update the user's "
                "role instead.",
                param="role_id",
            )
        key = assignment_id(self.principal_type, principal["id"], role_id)
        assignment = context.sandbox.store.get("role_assignment", key)
        if assignment is None:
            raise self._not_assigned(principal, role_id)
        remove_assignment(context, assignment)
        return json_response({"object": f"{self.principal_type}.role.deleted", "deleted": True})

    def _not_assigned(self, principal: Obj, role_id: str) -> APIError:
        return APIError(
            404,
            f"Role '{role_id}' is not assigned to {self.principal_type} '{principal['id']}'.",
            param="role_id",
        )

    def routes(self, prefix: str) -> list[BaseRoute]:
        return [
            Route(f"{prefix}/roles", self.list_assigned, methods=["GET"]),
            Route(f"{prefix}/roles", self.assign, methods=["POST"]),
            Route(f"{prefix}/roles/{{role_id}}", self.retrieve_assigned, methods=["GET"]),
            Route(f"{prefix}/roles/{{role_id}}", self.unassign, methods=["DELETE"]),
        ]


ROUTES: list[BaseRoute] = [
    Route("/organization/roles", list_roles, methods=["GET"]),
    Route("/organization/roles", create_role, methods=["POST"]),
    Route("/organization/roles/{role_id}", retrieve_role, methods=["GET"]),
    Route("/organization/roles/{role_id}", update_role, methods=["POST"]),
    Route("/organization/roles/{role_id}", delete_role, methods=["DELETE"]),
]
