"""Service accounts and the project's API keys.

Serves /organization/projects/{project_id}/service_accounts[/{id}[/api_keys]] and .../api_keys.
A service account's key is a `"secret_key"` record pinned to the project (so it works against
/v1 in that project only); its secret `value` is answered once, by the create call, and only
`redacted_value` afterwards. Deleting a service account revokes its keys.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import Obj, check_type, invalid
from ..store import new_id
from . import project_members
from .project_common import (
    AdminContext,
    ListStyle,
    admin_project,
    check_enum,
    check_int,
    check_name,
    check_string_list,
    cursor_page,
    find_in_project,
    not_in_project,
    object_body,
    ok,
    path_param,
    query_choice,
    record_event,
)

_LIST = ListStyle(default_limit=20, max_limit=100)
SERVICE_ACCOUNT_ROLES = ("member", "owner")
DEFAULT_KEY_NAME = "Secret Key"


# -- secret keys ---------------------------------------------------------------------------------


def _expires_at(context: AdminContext, value: Any) -> int | None:
    if value is None:
        return None
    return context.now + check_int(value, "expires_in_seconds", minimum=1)


def _new_key(
    context: AdminContext,
    project_id: str,
    account: Obj,
    *,
    name: str = DEFAULT_KEY_NAME,
    scopes: list[str] | None = None,
    expires_at: int | None = None,
) -> Obj:
    """Store a new service-account key and return its one-time API shape (with `value`)."""
    record = {
        "id": new_id("sk-svcacct-", 48),
        "key_id": new_id("key_", 16),
        "is_admin": False,
        "project_id": project_id,
        "pinned": True,
        "owner_id": account["id"],
        "owner_type": "service_account",
        "name": name,
        "created_at": context.now,
        "expires_at": expires_at,
        "scopes": scopes or [],
        "last_used_at": None,
    }
    context.store.put("secret_key", record)
    record_event(
        context, "api_key.created", {"id": record["key_id"], "data": {"scopes": record["scopes"]}}
    )
    return {
        "object": "organization.project.service_account.api_key",
        "value": record["id"],
        "name": name,
        "created_at": record["created_at"],
        "id": record["key_id"],
        "expires_at": expires_at,
    }


def _project_keys(context: AdminContext, project_id: str) -> list[Obj]:
    return context.store.list(
        "secret_key",
        where=lambda k: k.get("project_id") == project_id and not k.get("is_admin"),
    )


def _redacted(secret: str) -> str:
    return f"{secret[:6]}...{secret[-4:]}"


def _key_owner(context: AdminContext, project_id: str, record: Obj) -> tuple[Obj, bool]:
    """The key's `owner` object and whether that owner still has access to the project."""
    owner_id = str(record["owner_id"])
    if record.get("owner_type") == "service_account":
        account = context.store.get("service_account", owner_id, scope=project_id)
        shown = account or {"id": owner_id, "name": "", "created_at": 0, "role": "none"}
        owner = {key: shown[key] for key in ("id", "name", "created_at", "role")}
        return {"type": "service_account", "service_account": owner}, account is not None
    user = context.store.get("org_user", owner_id) or {"id": owner_id}
    role = project_members.member_role(context, project_id, owner_id)
    owner = {
        "id": owner_id,
        "email": user.get("email") or "",
        "name": user.get("name") or "",
        "created_at": user.get("added_at", 0),
        "role": role or str(user.get("role") or "member"),
    }
    return {"type": "user", "user": owner}, role is not None


def _render_key(context: AdminContext, project_id: str, record: Obj) -> Obj:
    owner, has_access = _key_owner(context, project_id, record)
    return {
        "object": "organization.project.api_key",
        "redacted_value": _redacted(str(record["id"])),
        "name": record.get("name") or DEFAULT_KEY_NAME,
        "created_at": record.get("created_at", 0),
        "last_used_at": record.get("last_used_at"),
        "id": record["key_id"],
        "owner_project_access": "active" if has_access else "inactive",
        "owner": owner,
        "expires_at": record.get("expires_at"),
    }


def _key_record(context: AdminContext, project_id: str, key_id: str) -> Obj:
    for record in _project_keys(context, project_id):
        if record["key_id"] == key_id:
            return record
    raise not_in_project("API key", key_id, project_id, "api_key_id")


async def list_keys(request: Request) -> Response:
    context, project = admin_project(request)
    access = query_choice(request, "owner_project_access", ("active", "inactive", "any"), "active")
    keys = [_render_key(context, project["id"], r) for r in _project_keys(context, project["id"])]
    shown = [k for k in keys if access == "any" or k["owner_project_access"] == access]
    return cursor_page(request, shown, _LIST)


async def retrieve_key(request: Request) -> Response:
    context, project = admin_project(request)
    record = _key_record(context, project["id"], path_param(request, "api_key_id"))
    return ok(_render_key(context, project["id"], record))


async def update_key(request: Request) -> Response:
    """`POST .../api_keys/{id}` (called by the SDK; newer than the OpenAPI document)."""
    context, project = admin_project(request, write=True)
    record = _key_record(context, project["id"], path_param(request, "api_key_id"))
    body = await object_body(request, allowed=("scopes", "expires_in_seconds"))
    if not body:
        raise invalid(
            "Provide at least one of 'scopes' or 'expires_in_seconds'.",
            param="scopes",
            code="missing_required_parameter",
        )
    changes: Obj = {}
    if "scopes" in body:
        record["scopes"] = changes["scopes"] = check_string_list(body["scopes"], "scopes")
    if "expires_in_seconds" in body:
        check_type(body["expires_in_seconds"], int, "expires_in_seconds")
        record["expires_at"] = _expires_at(context, body["expires_in_seconds"])
        changes["expires_at"] = record["expires_at"]
    context.store.put("secret_key", record)
    record_event(context, "api_key.updated", {"id": record["key_id"], "changes_requested": changes})
    return ok(_render_key(context, project["id"], record))


async def delete_key(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    record = _key_record(context, project["id"], path_param(request, "api_key_id"))
    if record.get("owner_type") == "service_account":
        raise invalid(
            "API keys owned by a service account cannot be deleted; delete the service account "
            "instead.",
            param="api_key_id",
            code="service_account_key",
        )
    context.store.delete("secret_key", record["id"])
    record_event(context, "api_key.deleted", {"id": record["key_id"]})
    return ok(
        {"object": "organization.project.api_key.deleted", "id": record["key_id"], "deleted": True}
    )


# -- service accounts ----------------------------------------------------------------------------


def _account(context: AdminContext, project_id: str, account_id: str) -> Obj:
    return find_in_project(
        context,
        "service_account",
        project_id,
        account_id,
        what="Service account",
        param="service_account_id",
    )


async def list_accounts(request: Request) -> Response:
    context, project = admin_project(request)
    accounts = context.store.list("service_account", scope=project["id"])
    return cursor_page(request, accounts, _LIST)


async def create_account(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    body = await object_body(
        request, allowed=("create_service_account_only", "expires_in_seconds"), required=("name",)
    )
    only = body.get("create_service_account_only")
    if only is not None:
        check_type(only, bool, "create_service_account_only")
    if only and body.get("expires_in_seconds") is not None:
        raise invalid(
            "'expires_in_seconds' cannot be used when 'create_service_account_only' is true.",
            param="expires_in_seconds",
            code="invalid_value",
        )
    account = {
        "object": "organization.project.service_account",
        "id": new_id("svc_acct_"),
        "name": check_name(body["name"]),
        "role": "none" if only else "member",
        "created_at": context.now,
    }
    expires_at = _expires_at(context, body.get("expires_in_seconds"))
    with context.store.transaction():
        context.store.put("service_account", account, scope=project["id"])
        event = {"id": account["id"], "data": {"role": account["role"]}}
        record_event(context, "service_account.created", event)
        key = None if only else _new_key(context, project["id"], account, expires_at=expires_at)
    return ok({**account, "api_key": key})


async def retrieve_account(request: Request) -> Response:
    context, project = admin_project(request)
    return ok(_account(context, project["id"], path_param(request, "service_account_id")))


async def update_account(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    account = _account(context, project["id"], path_param(request, "service_account_id"))
    body = await object_body(request, allowed=("name", "role"))
    changes: Obj = {}
    if "name" in body and body["name"] != account["name"]:
        account["name"] = changes["name"] = check_name(body["name"])
    if "role" in body and body["role"] != account["role"]:
        account["role"] = changes["role"] = check_enum(body["role"], "role", SERVICE_ACCOUNT_ROLES)
    if changes:
        context.store.put("service_account", account, scope=project["id"])
        event = {"id": account["id"], "changes_requested": changes}
        record_event(context, "service_account.updated", event)
    return ok(account)


async def delete_account(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    account = _account(context, project["id"], path_param(request, "service_account_id"))
    with context.store.transaction():
        for record in _project_keys(context, project["id"]):
            if record["owner_id"] == account["id"]:
                context.store.delete("secret_key", record["id"])
        context.store.delete("service_account", account["id"])
        record_event(context, "service_account.deleted", {"id": account["id"]})
    return ok(
        {
            "object": "organization.project.service_account.deleted",
            "id": account["id"],
            "deleted": True,
        }
    )


async def create_account_key(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    account = _account(context, project["id"], path_param(request, "service_account_id"))
    body = await object_body(request, allowed=("name", "scopes", "expires_in_seconds"))
    name = check_name(body["name"]) if body.get("name") is not None else DEFAULT_KEY_NAME
    scopes = check_string_list(body["scopes"], "scopes") if "scopes" in body else []
    expires_at = _expires_at(context, body.get("expires_in_seconds"))
    key = _new_key(context, project["id"], account, name=name, scopes=scopes, expires_at=expires_at)
    return ok(key)


_ACCOUNTS = "/organization/projects/{project_id}/service_accounts"
_KEYS = "/organization/projects/{project_id}/api_keys"
ROUTES: list[BaseRoute] = [
    Route(_ACCOUNTS, list_accounts, methods=["GET"]),
    Route(_ACCOUNTS, create_account, methods=["POST"]),
    Route(_ACCOUNTS + "/{service_account_id}", retrieve_account, methods=["GET"]),
    Route(_ACCOUNTS + "/{service_account_id}", update_account, methods=["POST"]),
    Route(_ACCOUNTS + "/{service_account_id}", delete_account, methods=["DELETE"]),
    Route(_ACCOUNTS + "/{service_account_id}/api_keys", create_account_key, methods=["POST"]),
    Route(_KEYS, list_keys, methods=["GET"]),
    Route(_KEYS + "/{api_key_id}", retrieve_key, methods=["GET"]),
    Route(_KEYS + "/{api_key_id}", update_key, methods=["POST"]),
    Route(_KEYS + "/{api_key_id}", delete_key, methods=["DELETE"]),
]
