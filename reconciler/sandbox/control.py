"""Control routes outside /v1 (`/_sandbox/...`): move the clock, set faults and switches,
provision a user as an identity provider would over SCIM (`is_scim_managed: true`), make a
user's project API key as the dashboard does (the Administration API makes none).

Tests and the demo call these instead of sleeping or restarting; the real API has nothing like
them, so they are on the conformance test's allow-list.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import audit
from .http import Caller, invalid, json_body, json_response, sandbox_of
from .store import new_id

SWITCHES = ("training_not_available", "batch_stalled", "audit_logs_disabled")


async def get_clock(request: Request) -> Response:
    clock = sandbox_of(request).clock
    return json_response({"now": clock.now(), "speed": clock.speed})


async def advance_clock(request: Request) -> Response:
    body = await json_body(request)
    seconds = body.get("seconds")
    if not isinstance(seconds, int | float) or seconds < 0:
        raise invalid("'seconds' must be a non-negative number", param="seconds")
    clock = sandbox_of(request).clock
    if "speed" in body:
        clock.set_speed(float(body["speed"]))
    return json_response({"now": clock.advance(float(seconds)), "speed": clock.speed})


async def get_faults(request: Request) -> Response:
    return json_response(sandbox_of(request).faults.describe())


async def set_faults(request: Request) -> Response:
    body = await json_body(request)
    faults = sandbox_of(request).faults
    try:
        faults.set_rules(list(body.get("rules", [])))
    except (TypeError, ValueError) as exc:
        raise invalid(f"invalid fault rules: {exc}", param="rules") from None
    if "admin_rate_limit_per_minute" in body:
        faults.admin_rate_limit_per_minute = body["admin_rate_limit_per_minute"]
    return json_response(faults.describe())


async def set_switches(request: Request) -> Response:
    body = await json_body(request)
    store = sandbox_of(request).store
    for name, value in body.items():
        if name not in SWITCHES:
            raise invalid(f"unknown switch {name!r}; known: {', '.join(SWITCHES)}", param=name)
        store.set_setting(f"switch.{name}", bool(value))
    return json_response(_switches(request))


async def get_switches(request: Request) -> Response:
    return json_response(_switches(request))


def _switches(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    return {name: sandbox.switch(name) for name in SWITCHES}


async def scim_user(request: Request) -> Response:
    """A user provisioned by the organization's identity provider (SCIM): read-only to the
    Administration API's clients in spirit, marked `is_scim_managed: true`."""
    body = await json_body(request)
    email, role = body.get("email"), body.get("role", "reader")
    if not isinstance(email, str) or "@" not in email:
        raise invalid("'email' must be an email address", param="email")
    if role not in ("owner", "reader"):
        raise invalid("'role' must be owner or reader", param="role")
    sandbox = sandbox_of(request)
    user = {
        "object": "organization.user",
        "id": new_id("user-"),
        "name": email.split("@", 1)[0],
        "email": email,
        "role": role,
        "added_at": sandbox.clock.now(),
        "is_scim_managed": True,
    }
    sandbox.store.put("org_user", user)
    return json_response(user)


async def scim_group(request: Request) -> Response:
    """A group provisioned by the identity provider (SCIM): `is_scim_managed: true`."""
    body = await json_body(request)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise invalid("'name' must be a non-empty string", param="name")
    sandbox = sandbox_of(request)
    group = {
        "id": new_id("group_"),
        "name": name,
        "created_at": sandbox.clock.now(),
        "is_scim_managed": True,
        "group_type": "group",
    }
    sandbox.store.put("group", group)
    return json_response(group)


async def user_project_key(request: Request) -> Response:
    """A project API key a user made in the dashboard (`{project_id, email?, name?}`; the
    organization owner's when no e-mail is given): answers its id and, once, its value."""
    body = await json_body(request)
    sandbox = sandbox_of(request)
    project_id, email = body.get("project_id"), body.get("email")
    if not isinstance(project_id, str) or sandbox.store.get("project", project_id) is None:
        raise invalid("'project_id' must name a project", param="project_id")
    owner_id = sandbox.owner_user_id
    if email is not None:
        users = sandbox.store.list("org_user", where=lambda u: u.get("email") == email)
        if not users:
            raise invalid(f"no user of the organization has the e-mail {email!r}", param="email")
        owner_id = users[0]["id"]
    record: dict[str, Any] = {
        "id": new_id("sk-proj-", 48),
        "key_id": new_id("key_", 16),
        "is_admin": False,
        "project_id": project_id,
        "pinned": True,
        "owner_id": owner_id,
        "owner_type": "user",
        "name": str(body.get("name") or "Secret Key"),
        "created_at": sandbox.clock.now(),
        "expires_at": None,
        "scopes": [],
        "last_used_at": body.get("last_used_at"),
    }
    sandbox.store.put("secret_key", record)
    user = sandbox.store.get("org_user", owner_id) or {}
    maker = Caller(key_id="", is_admin=False, project_id="", actor_id=owner_id, actor_type="user")
    entry = audit.record(
        sandbox.store,
        record["created_at"],
        maker,
        "api_key.created",
        {"id": record["key_id"], "data": {"scopes": []}},
        project_id=project_id,
    )
    entry["actor"] = {  # made in the dashboard: a browser session, not a key
        "type": "session",
        "session": {
            "user": {"id": owner_id, "email": user.get("email")},
            "ip_address": "127.0.0.1",
        },
    }
    sandbox.store.put("audit_log", entry)
    return json_response({"id": record["key_id"], "value": record["id"]})


ROUTES: list[BaseRoute] = [
    Route("/clock", get_clock, methods=["GET"]),
    Route("/clock/advance", advance_clock, methods=["POST"]),
    Route("/faults", get_faults, methods=["GET"]),
    Route("/faults", set_faults, methods=["POST"]),
    Route("/switches", get_switches, methods=["GET"]),
    Route("/switches", set_switches, methods=["POST"]),
    Route("/scim/users", scim_user, methods=["POST"]),
    Route("/scim/groups", scim_group, methods=["POST"]),
    Route("/project_api_keys", user_project_key, methods=["POST"]),
]
