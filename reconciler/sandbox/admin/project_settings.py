"""Project settings: model permissions, hosted-tool permissions, data retention, service tiers.

Serves /organization/projects/{project_id}/model_permissions, .../hosted_tool_permissions,
.../data_retention and .../service_tier_settings (the last is newer than the OpenAPI document;
shapes from the SDK). Each reads its default until first set. `is_model_allowed` and
`is_hosted_tool_enabled` let the inference routes honour the settings if they choose to.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import Obj, check_type, invalid
from ..store import Store
from .project_common import (
    admin_project,
    check_enum,
    check_string_list,
    drop_setting,
    load_setting,
    object_body,
    ok,
    record_project_change,
    save_setting,
    scoped_id,
)

MODEL_PERMISSION_MODES = ("allow_list", "deny_list")
HOSTED_TOOLS = ("file_search", "web_search", "image_generation", "mcp", "code_interpreter")
RETENTION_TYPES = (
    "organization_default",
    "none",
    "zero_data_retention",
    "modified_abuse_monitoring",
    "enhanced_zero_data_retention",
    "enhanced_modified_abuse_monitoring",
)
DEFAULT_TIERS = ("standard", "fast", "scale")
OPTIONAL_TIERS = ("flex", "fast", "ultrafast")


def _default_model_permissions() -> Obj:
    """No setting: a deny list that denies nothing (every model is allowed)."""
    return {"object": "project.model_permissions", "mode": "deny_list", "model_ids": []}


def _default_hosted_tools() -> Obj:
    return {tool: {"enabled": True} for tool in HOSTED_TOOLS}


def _default_service_tiers() -> Obj:
    return {
        "object": "project.service_tier_settings",
        "default": "standard",
        "enabled_tiers": "all",
    }


def _stored(store: Store, project_id: str, name: str) -> Obj | None:
    record = store.get("project_setting", scoped_id(project_id, name))
    return None if record is None else dict(record["value"])


def is_model_allowed(store: Store, project_id: str, model: str) -> bool:
    """Whether the project's model permissions let it call `model` (fine-tunes by their base)."""
    permissions = _stored(store, project_id, "model_permissions") or _default_model_permissions()
    names = {model, model.split(":")[1] if model.startswith("ft:") else model}
    listed = any(name in permissions["model_ids"] for name in names)
    return listed if permissions["mode"] == "allow_list" else not listed


def is_hosted_tool_enabled(store: Store, project_id: str, tool: str) -> bool:
    tools = _stored(store, project_id, "hosted_tool_permissions") or _default_hosted_tools()
    return bool(tools.get(tool, {"enabled": True})["enabled"])


def _read(request: Request, name: str, default: Obj) -> Obj:
    context, project = admin_project(request)
    return load_setting(context, project["id"], name) or default


# -- model permissions ---------------------------------------------------------------------------


async def retrieve_model_permissions(request: Request) -> Response:
    return ok(_read(request, "model_permissions", _default_model_permissions()))


async def update_model_permissions(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    body = await object_body(request, allowed=(), required=("mode", "model_ids"))
    model_ids = check_string_list(body["model_ids"], "model_ids")
    permissions = {
        "object": "project.model_permissions",
        "mode": check_enum(body["mode"], "mode", MODEL_PERMISSION_MODES),
        "model_ids": sorted(set(model_ids), key=model_ids.index),
    }
    save_setting(context, project["id"], "model_permissions", permissions)
    changes = {"model_permissions": {k: permissions[k] for k in ("mode", "model_ids")}}
    record_project_change(context, project["id"], changes)
    return ok(permissions)


async def delete_model_permissions(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    if drop_setting(context, project["id"], "model_permissions"):
        record_project_change(context, project["id"], {"model_permissions": None})
    return ok({"object": "project.model_permissions.deleted", "deleted": True})


# -- hosted tools --------------------------------------------------------------------------------


def _check_tool_update(tool: str, value: Any) -> bool:
    check_type(value, dict, tool)
    for key in value:
        if key != "enabled":
            raise invalid(
                f"Unknown parameter: '{tool}.{key}'.",
                param=f"{tool}.{key}",
                code="unknown_parameter",
            )
    if value.get("enabled") is None:
        raise invalid(
            f"Missing required parameter: '{tool}.enabled'.",
            param=f"{tool}.enabled",
            code="missing_required_parameter",
        )
    check_type(value["enabled"], bool, f"{tool}.enabled")
    return bool(value["enabled"])


async def retrieve_hosted_tools(request: Request) -> Response:
    return ok(_read(request, "hosted_tool_permissions", _default_hosted_tools()))


async def update_hosted_tools(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    body = await object_body(request, allowed=HOSTED_TOOLS)
    tools = (
        load_setting(context, project["id"], "hosted_tool_permissions") or _default_hosted_tools()
    )
    changes: Obj = {}
    for tool, value in body.items():
        if value is None:
            continue  # null leaves the tool as it is
        enabled = _check_tool_update(tool, value)
        if tools[tool]["enabled"] != enabled:
            tools[tool] = changes[tool] = {"enabled": enabled}
    if changes:
        save_setting(context, project["id"], "hosted_tool_permissions", tools)
        record_project_change(context, project["id"], {"hosted_tool_permissions": changes})
    return ok(tools)


# -- data retention ------------------------------------------------------------------------------


async def retrieve_data_retention(request: Request) -> Response:
    default = {"object": "project.data_retention", "type": "organization_default"}
    return ok(_read(request, "data_retention", default))


async def update_data_retention(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    body = await object_body(request, allowed=(), required=("retention_type",))
    retention = {
        "object": "project.data_retention",
        "type": check_enum(body["retention_type"], "retention_type", RETENTION_TYPES),
    }
    save_setting(context, project["id"], "data_retention", retention)
    record_project_change(context, project["id"], {"data_retention": retention["type"]})
    return ok(retention)


# -- service tiers -------------------------------------------------------------------------------


def _check_enabled_tiers(value: Any) -> str | list[str]:
    if value == "all":
        return "all"
    if isinstance(value, str):
        check_enum(value, "enabled_tiers", ("all",))
    tiers = check_string_list(value, "enabled_tiers")
    for index, tier in enumerate(tiers):
        check_enum(tier, f"enabled_tiers[{index}]", OPTIONAL_TIERS)
    return sorted(set(tiers), key=tiers.index)


def _check_default_enabled(settings: Obj) -> None:
    default, enabled = settings["default"], settings["enabled_tiers"]
    if default in ("standard", "scale") or enabled == "all" or default in enabled:
        return
    raise invalid(
        f"The default service tier '{default}' must be one of the enabled tiers.",
        param="default",
        code="invalid_value",
    )


async def retrieve_service_tiers(request: Request) -> Response:
    return ok(_read(request, "service_tier_settings", _default_service_tiers()))


async def update_service_tiers(request: Request) -> Response:
    """`POST .../service_tier_settings` (called by the SDK; newer than the OpenAPI document)."""
    context, project = admin_project(request, write=True)
    body = await object_body(request, allowed=("default", "enabled_tiers"))
    if not body:
        raise invalid(
            "Provide at least one of 'default' or 'enabled_tiers'.",
            param="default",
            code="missing_required_parameter",
        )
    settings = (
        load_setting(context, project["id"], "service_tier_settings") or _default_service_tiers()
    )
    changes: Obj = {}
    if "default" in body:
        settings["default"] = changes["default"] = check_enum(
            body["default"], "default", DEFAULT_TIERS
        )
    if "enabled_tiers" in body:
        settings["enabled_tiers"] = changes["enabled_tiers"] = _check_enabled_tiers(
            body["enabled_tiers"]
        )
    _check_default_enabled(settings)
    save_setting(context, project["id"], "service_tier_settings", settings)
    record_project_change(context, project["id"], {"service_tier_settings": changes})
    return ok(settings)


_BASE = "/organization/projects/{project_id}"
ROUTES: list[BaseRoute] = [
    Route(_BASE + "/model_permissions", retrieve_model_permissions, methods=["GET"]),
    Route(_BASE + "/model_permissions", update_model_permissions, methods=["POST"]),
    Route(_BASE + "/model_permissions", delete_model_permissions, methods=["DELETE"]),
    Route(_BASE + "/hosted_tool_permissions", retrieve_hosted_tools, methods=["GET"]),
    Route(_BASE + "/hosted_tool_permissions", update_hosted_tools, methods=["POST"]),
    Route(_BASE + "/data_retention", retrieve_data_retention, methods=["GET"]),
    Route(_BASE + "/data_retention", update_data_retention, methods=["POST"]),
    Route(_BASE + "/service_tier_settings", retrieve_service_tiers, methods=["GET"]),
    Route(_BASE + "/service_tier_settings", update_service_tiers, methods=["POST"]),
]
