"""Organization invites, and the sandbox rule that accepts them.

Serves /organization/invites[/{id}]. Nobody reads the invitation e-mail in a sandbox, so an invite
is accepted by itself `ACCEPT_AFTER_SECONDS` sandbox seconds after it was sent: the next read of
invites or users (`accept_due_invites`, called lazily by both) turns it into an `"org_user"` and
grants its project memberships through `org_projects_link`. An invite to an address under the
reserved `.invalid` top-level domain (`NEVER_ACCEPTED_DOMAIN`) is never accepted (nobody can
receive it): it stays `pending` until its `expires_at`, then reads as `expired`.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .. import audit
from ..http import (
    APIError,
    Caller,
    Obj,
    check_params,
    check_type,
    invalid,
    json_body,
    json_response,
    paginate,
)
from ..store import new_id
from . import org_projects_link
from .org_common import AdminContext, admin_context, check_enum, path_param, record_event

ACCEPT_AFTER_SECONDS = 60
EXPIRES_AFTER_SECONDS = 7 * 24 * 3600
INVITE_ROLES = ("reader", "owner")
PROJECT_ROLES = ("member", "owner")
NEVER_ACCEPTED_DOMAIN = ".invalid"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# -- the acceptance rule --------------------------------------------------------------------------


def accept_due_invites(context: AdminContext) -> None:
    """Accept every pending invite sent at least `ACCEPT_AFTER_SECONDS` ago; expire those to a
    `.invalid` address once their `expires_at` is past."""
    now = context.now
    for invite in context.sandbox.store.list("invite", where=lambda i: i["status"] == "pending"):
        if str(invite["email"]).lower().endswith(NEVER_ACCEPTED_DOMAIN):
            if invite["expires_at"] <= now:
                invite["status"] = "expired"
                context.sandbox.store.put("invite", invite)
            continue
        accepted_at = invite["created_at"] + ACCEPT_AFTER_SECONDS
        if accepted_at <= now:
            _accept(context, invite, accepted_at)


def _accept(context: AdminContext, invite: Obj, accepted_at: int) -> None:
    store = context.sandbox.store
    user: Obj = {
        "object": "organization.user",
        "id": new_id("user-"),
        "name": _name_from_email(invite["email"]),
        "email": invite["email"],
        "role": invite["role"],
        "added_at": accepted_at,
    }
    with store.transaction():
        store.put("org_user", user)
        invite.update(status="accepted", accepted_at=accepted_at)
        store.put("invite", invite)
    for grant in invite["projects"]:
        if org_projects_link.active_project(context.sandbox, grant["id"]) is not None:
            org_projects_link.add_user_to_project(context, grant["id"], user, grant["role"])
    _record_acceptance(context, invite, user, accepted_at)


def _record_acceptance(context: AdminContext, invite: Obj, user: Obj, accepted_at: int) -> None:
    """The invitee accepts in a browser session, so the actor is a session, not a key."""
    invitee = Caller(
        key_id="", is_admin=False, project_id="", actor_id=user["id"], actor_type="user"
    )
    entry = audit.record(
        context.sandbox.store, accepted_at, invitee, "invite.accepted", {"id": invite["id"]}
    )
    entry["actor"] = {
        "type": "session",
        "session": {"user": {"id": user["id"], "email": user["email"]}, "ip_address": "127.0.0.1"},
    }
    context.sandbox.store.put("audit_log", entry)


def _name_from_email(email: str) -> str:
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in re.split(r"[._+-]+", local) if part) or local


# -- handlers ------------------------------------------------------------------------------------


def find_invite(context: AdminContext, invite_id: str) -> Obj:
    accept_due_invites(context)
    invite = context.sandbox.store.get("invite", invite_id)
    if invite is None:
        raise APIError(404, f"Invite with ID '{invite_id}' not found.", param="invite_id")
    return invite


def _check_email(context: AdminContext, email: Any) -> str:
    check_type(email, str, "email")
    if not _EMAIL.match(email):
        raise invalid(f"Invalid email address: '{email}'.", param="email", code="invalid_value")
    store = context.sandbox.store
    wanted = email.lower()
    if store.list("org_user", where=lambda u: str(u.get("email")).lower() == wanted):
        raise invalid(
            f"User with email '{email}' is already a member of this organization.",
            param="email",
            code="user_already_exists",
        )
    pending = lambda i: i["status"] == "pending" and i["email"].lower() == wanted  # noqa: E731
    if store.list("invite", where=pending):
        raise invalid(
            f"An invite for '{email}' is already pending.", param="email", code="invite_exists"
        )
    return str(email)


def _check_projects(context: AdminContext, projects: Any) -> list[Obj]:
    if projects is None:  # omitted: the default project, as the API's legacy behaviour
        return [{"id": context.sandbox.default_project_id, "role": "member"}]
    check_type(projects, list, "projects")
    grants: list[Obj] = []
    for index, grant in enumerate(projects):
        param = f"projects[{index}]"
        check_type(grant, dict, param)
        for key in grant:
            if key not in ("id", "role"):
                raise invalid(f"Unknown parameter: '{param}.{key}'.", param=f"{param}.{key}")
        for key in ("id", "role"):
            if grant.get(key) is None:
                raise invalid(
                    f"Missing required parameter: '{param}.{key}'.",
                    param=f"{param}.{key}",
                    code="missing_required_parameter",
                )
        check_type(grant["id"], str, f"{param}.id")
        role = check_enum(grant["role"], f"{param}.role", PROJECT_ROLES)
        if org_projects_link.active_project(context.sandbox, grant["id"]) is None:
            raise invalid(
                f"Project '{grant['id']}' not found or archived.",
                param=f"{param}.id",
                code="invalid_project",
            )
        grants.append({"id": grant["id"], "role": role})
    return grants


async def create_invite(request: Request) -> Response:
    context = admin_context(request)
    accept_due_invites(context)
    body = await json_body(request)
    check_params(body, allowed=("projects",), required=("email", "role"))
    email = _check_email(context, body["email"])
    role = check_enum(body["role"], "role", INVITE_ROLES)
    now = context.now
    invite: Obj = {
        "object": "organization.invite",
        "id": new_id("invite-"),
        "email": email,
        "role": role,
        "status": "pending",
        "created_at": now,
        "expires_at": now + EXPIRES_AFTER_SECONDS,
        "accepted_at": None,
        "projects": _check_projects(context, body.get("projects")),
    }
    context.sandbox.store.put("invite", invite)
    record_event(
        context, "invite.sent", {"id": invite["id"], "data": {"email": email, "role": role}}
    )
    return json_response(invite)


async def list_invites(request: Request) -> Response:
    context = admin_context(request)
    accept_due_invites(context)
    return paginate(
        request, context.sandbox.store.list("invite"), default_order="asc", has_order=False
    )


async def retrieve_invite(request: Request) -> Response:
    context = admin_context(request)
    return json_response(find_invite(context, path_param(request, "invite_id")))


async def delete_invite(request: Request) -> Response:
    context = admin_context(request)
    invite = find_invite(context, path_param(request, "invite_id"))
    if invite["status"] == "accepted":
        raise invalid(
            "This invite has already been accepted and cannot be deleted; remove the user instead.",
            param="invite_id",
            code="invite_already_accepted",
        )
    context.sandbox.store.delete("invite", invite["id"])
    record_event(context, "invite.deleted", {"id": invite["id"]})
    return json_response(
        {"object": "organization.invite.deleted", "id": invite["id"], "deleted": True}
    )


ROUTES: list[BaseRoute] = [
    Route("/organization/invites", list_invites, methods=["GET"]),
    Route("/organization/invites", create_invite, methods=["POST"]),
    Route("/organization/invites/{invite_id}", retrieve_invite, methods=["GET"]),
    Route("/organization/invites/{invite_id}", delete_invite, methods=["DELETE"]),
]
