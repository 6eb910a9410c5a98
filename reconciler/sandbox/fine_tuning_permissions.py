"""Checkpoint permissions: share a fine-tuned model (or checkpoint) with other projects.

Routes under `/v1/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions`, mounted by
`fine_tuning.ROUTES`; like the real API they take an admin key, and every change is written to the
audit log. `shared_project_ids` tells the models and inference routes which other projects may
use a fine-tuned model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import audit
from .http import (
    APIError,
    check_params,
    check_type,
    invalid,
    json_body,
    json_response,
    query_int,
    sandbox_of,
)
from .http import caller as authenticate
from .store import new_id

if TYPE_CHECKING:
    from .state import Sandbox

Obj = dict[str, Any]

PERMISSION_KIND = "ft_checkpoint_permission"
_CHECKPOINT = "_checkpoint"  # private: the model the permission shares


def shared_project_ids(sandbox: Sandbox, model_id: str) -> list[str]:
    """Projects (other than the owner) a fine-tuned model or checkpoint has been shared with."""
    return [p["project_id"] for p in _permissions(sandbox, model_id)]


def shared_model_ids(sandbox: Sandbox, project_id: str) -> list[str]:
    """Fine-tuned models and checkpoints of other projects shared with `project_id`."""
    permissions = sandbox.store.list(
        PERMISSION_KIND, scope="", where=lambda p: p["project_id"] == project_id
    )
    return [p[_CHECKPOINT] for p in permissions]


def _permissions(sandbox: Sandbox, model_id: str) -> list[Obj]:
    return sandbox.store.list(PERMISSION_KIND, scope="", where=lambda p: p[_CHECKPOINT] == model_id)


def _public(permission: Obj) -> Obj:
    return {key: value for key, value in permission.items() if not key.startswith("_")}


def _checkpoint(request: Request) -> str:
    """The path's fine-tuned model or checkpoint, which must exist in some project."""
    sandbox = sandbox_of(request)
    model_id = str(request.path_params["fine_tuned_model_checkpoint"])
    if sandbox.store.get("ft_model_source", model_id) is None:
        raise APIError(
            404,
            f"Fine-tuned model checkpoint not found: {model_id}",
            param="fine_tuned_model_checkpoint",
            code="model_not_found",
        )
    return model_id


async def create_permissions(request: Request) -> Response:
    who = authenticate(request, admin=True)
    sandbox = sandbox_of(request)
    model_id = _checkpoint(request)
    body = await json_body(request)
    check_params(body, allowed=("project_ids",), required=("project_ids",))
    project_ids = _project_ids(sandbox, model_id, body["project_ids"])
    now = sandbox.clock.now()
    created = []
    for project_id in project_ids:
        permission = {
            "id": new_id("cp_"),
            "object": "checkpoint.permission",
            "created_at": now,
            "project_id": project_id,
            _CHECKPOINT: model_id,
        }
        sandbox.store.put(PERMISSION_KIND, permission, scope="")
        details = {"project_id": project_id, "fine_tuned_model_checkpoint": model_id}
        audit.record(
            sandbox.store,
            now,
            who,
            "checkpoint.permission.created",
            {"id": permission["id"], "data": details},
            project_id=project_id,
        )
        created.append(_public(permission))
    return json_response(_page(created, has_more=False))


def _project_ids(sandbox: Sandbox, model_id: str, value: Any) -> list[str]:
    check_type(value, list, "project_ids")
    if not value:
        raise invalid(
            "Invalid 'project_ids': empty array. Expected an array with minimum length 1, but "
            "got an empty array instead.",
            param="project_ids",
            code="empty_array",
        )
    shared = set(shared_project_ids(sandbox, model_id))
    for index, project_id in enumerate(value):
        check_type(project_id, str, f"project_ids[{index}]")
        project = sandbox.store.get("project", project_id)
        if project is None or project.get("status") != "active":
            raise invalid(
                f"Project {project_id} not found or archived.", param=f"project_ids[{index}]"
            )
        if project_id in shared:
            raise invalid(
                f"Project {project_id} already has access to {model_id}.",
                param=f"project_ids[{index}]",
            )
    if len(set(value)) != len(value):
        raise invalid("Duplicate project ids in 'project_ids'.", param="project_ids")
    return list(value)


async def list_permissions(request: Request) -> Response:
    authenticate(request, admin=True)
    sandbox = sandbox_of(request)
    permissions = _permissions(sandbox, _checkpoint(request))
    project_id = request.query_params.get("project_id")
    if project_id:
        permissions = [p for p in permissions if p["project_id"] == project_id]
    order = request.query_params.get("order", "descending")
    if order not in ("ascending", "descending"):
        raise invalid(
            f"Invalid value: '{order}'. Supported values are: 'ascending' and 'descending'.",
            param="order",
            code="invalid_value",
        )
    if order == "descending":
        permissions.reverse()
    after = request.query_params.get("after")
    if after:
        ids = [p["id"] for p in permissions]
        permissions = permissions[ids.index(after) + 1 :] if after in ids else []
    limit = query_int(request, "limit", 10, maximum=100)
    page = [_public(p) for p in permissions[:limit]]
    return json_response(_page(page, has_more=len(permissions) > limit))


def _page(data: list[Obj], *, has_more: bool) -> Obj:
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }


async def delete_permission(request: Request) -> Response:
    who = authenticate(request, admin=True)
    sandbox = sandbox_of(request)
    model_id = _checkpoint(request)
    permission_id = str(request.path_params["permission_id"])
    permission = sandbox.store.get(PERMISSION_KIND, permission_id)
    if permission is None or permission[_CHECKPOINT] != model_id:
        raise APIError(
            404,
            f"No checkpoint permission found with id {permission_id} for {model_id}.",
            param="permission_id",
        )
    sandbox.store.delete(PERMISSION_KIND, permission_id)
    audit.record(
        sandbox.store,
        sandbox.clock.now(),
        who,
        "checkpoint.permission.deleted",
        {"id": permission_id},
        project_id=permission["project_id"],
    )
    return json_response({"id": permission_id, "object": "checkpoint.permission", "deleted": True})


_BASE = "/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions"

ROUTES: list[BaseRoute] = [
    Route(_BASE, create_permissions, methods=["POST"]),
    Route(_BASE, list_permissions, methods=["GET"]),
    Route(_BASE + "/{permission_id}", delete_permission, methods=["DELETE"]),
]
