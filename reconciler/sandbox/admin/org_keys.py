"""Organization admin API keys: list, create (the value is shown once), retrieve, delete.

Serves /organization/admin_api_keys. The public `organization.admin_api_key` object lives in the
`"admin_api_key"` kind (id = the key's tracking id `key_...`); the secret that `http.caller`
authenticates lives in the shared `"secret_key"` kind (`is_admin: True`). The seeded admin key
gets its public record on first use of these routes.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import (
    APIError,
    Obj,
    check_params,
    check_range,
    check_type,
    json_body,
    json_response,
    paginate,
)
from ..store import new_id
from .org_common import AdminContext, admin_context, path_param, record_event

MAX_EXPIRES_IN_SECONDS = 31_536_000
ADMIN_SCOPES = ["api.management.read", "api.management.write"]


def redacted(secret: str) -> str:
    return f"{secret[:8]}...{secret[-3:]}"


def _owner(context: AdminContext, user_id: str) -> Obj:
    user = context.sandbox.store.get("org_user", user_id) or {}
    return {
        "type": "user",
        "object": "organization.user",
        "id": user_id,
        "name": user.get("name") or "",
        "created_at": user.get("added_at", 0),
        "role": "owner",
    }


def _public_key(context: AdminContext, secret: Obj) -> Obj:
    return {
        "object": "organization.admin_api_key",
        "id": secret["key_id"],
        "name": secret.get("name"),
        "redacted_value": redacted(secret["id"]),
        "created_at": secret["created_at"],
        "expires_at": secret.get("expires_at"),
        "last_used_at": None,
        "owner": _owner(context, secret["owner_id"]),
    }


def _admin_keys(context: AdminContext) -> list[Obj]:
    """Every admin key's public record in creation order, creating the records of keys made
    elsewhere (the seeded key)."""
    store = context.sandbox.store
    keys = []
    for secret in store.list("secret_key", where=lambda s: bool(s["is_admin"])):
        key = store.get("admin_api_key", secret["key_id"])
        if key is None:
            key = store.put("admin_api_key", _public_key(context, secret))
        keys.append(key)
    return keys


def _find_key(context: AdminContext, key_id: str) -> Obj:
    for key in _admin_keys(context):
        if key["id"] == key_id:
            return key
    raise APIError(404, f"Admin API key with ID '{key_id}' not found.", param="key_id")


async def list_keys(request: Request) -> Response:
    context = admin_context(request)
    return paginate(request, _admin_keys(context), default_order="asc")


async def create_key(request: Request) -> Response:
    context = admin_context(request)
    body = await json_body(request)
    check_params(body, allowed=("expires_in_seconds",), required=("name",))
    check_type(body["name"], str, "name")
    expires_in = body.get("expires_in_seconds")
    if expires_in is not None:
        check_type(expires_in, int, "expires_in_seconds")
        check_range(expires_in, "expires_in_seconds", minimum=1, maximum=MAX_EXPIRES_IN_SECONDS)
    now = context.now
    secret: Obj = {
        "id": "sk-admin-" + secrets.token_urlsafe(48),
        "key_id": new_id("key_", 16),
        "is_admin": True,
        "project_id": "",
        "pinned": False,
        "owner_id": context.caller.actor_id,
        "owner_type": "user",
        "name": body["name"],
        "created_at": now,
        "expires_at": None if expires_in is None else now + expires_in,  # http.caller checks it
    }
    key = _public_key(context, secret)
    store = context.sandbox.store
    with store.transaction():
        store.put("secret_key", secret)
        store.put("admin_api_key", key)
    record_event(context, "api_key.created", {"id": key["id"], "data": {"scopes": ADMIN_SCOPES}})
    return json_response({**key, "value": secret["id"]})


async def retrieve_key(request: Request) -> Response:
    context = admin_context(request)
    return json_response(_find_key(context, path_param(request, "key_id")))


async def delete_key(request: Request) -> Response:
    context = admin_context(request)
    key = _find_key(context, path_param(request, "key_id"))
    store = context.sandbox.store
    with store.transaction():
        for secret in store.list("secret_key", where=lambda s: s["key_id"] == key["id"]):
            store.delete("secret_key", secret["id"])
        store.delete("admin_api_key", key["id"])
    record_event(context, "api_key.deleted", {"id": key["id"]})
    return json_response(
        {"object": "organization.admin_api_key.deleted", "id": key["id"], "deleted": True}
    )


ROUTES: list[BaseRoute] = [
    Route("/organization/admin_api_keys", list_keys, methods=["GET"]),
    Route("/organization/admin_api_keys", create_key, methods=["POST"]),
    Route("/organization/admin_api_keys/{key_id}", retrieve_key, methods=["GET"]),
    Route("/organization/admin_api_keys/{key_id}", delete_key, methods=["DELETE"]),
]
