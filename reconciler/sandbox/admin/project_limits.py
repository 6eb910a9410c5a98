"""Project limits: per-model rate limits, the hard spend limit and spend alerts.

Serves /organization/projects/{project_id}/rate_limits[/{rate_limit_id}], .../spend_limit and
.../spend_alerts[/{alert_id}]. Each project gets a default rate-limit row per catalogue model
(lazily, so models added later get theirs too); a project may lower a limit, never raise it
above the organization's (the default). `spend_limit_cents` lets other modules read the limit.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import APIError, Obj, check_range, check_type, invalid
from ..store import new_id
from .project_common import (
    AdminContext,
    ListStyle,
    admin_project,
    check_enum,
    check_int,
    check_string_list,
    cursor_page,
    drop_setting,
    find_in_project,
    load_setting,
    not_in_project,
    object_body,
    ok,
    path_param,
    record_event,
    record_project_change,
    save_setting,
    scoped_id,
)

# Models listed when the model catalogue is empty (the models module seeds the real list).
FALLBACK_MODELS = (
    "gpt-5.6-sol",
    "gpt-5.6-terra",
    "gpt-5.6-luna",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "gpt-4o",
    "gpt-4o-mini",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "omni-moderation-latest",
)
_TEXT = {
    "max_requests_per_1_minute": 10_000,
    "max_tokens_per_1_minute": 2_000_000,
    "batch_1_day_max_input_tokens": 20_000_000,
}
_SMALL_TEXT = {
    "max_requests_per_1_minute": 30_000,
    "max_tokens_per_1_minute": 10_000_000,
    "batch_1_day_max_input_tokens": 100_000_000,
}
# Organization-level limits by model family (longest matching prefix wins): the defaults a
# project starts with and the ceiling it may not exceed.
ORG_LIMITS: dict[str, dict[str, int]] = {
    "": _TEXT,
    "gpt-5.6-luna": _SMALL_TEXT,
    "gpt-4.1-mini": _SMALL_TEXT,
    "gpt-4.1-nano": _SMALL_TEXT,
    "gpt-4o-mini": _SMALL_TEXT,
    "text-embedding": {
        "max_requests_per_1_minute": 10_000,
        "max_tokens_per_1_minute": 10_000_000,
        "batch_1_day_max_input_tokens": 1_000_000_000,
    },
    "omni-moderation": {"max_requests_per_1_minute": 1_000, "max_tokens_per_1_minute": 150_000},
    "text-moderation": {"max_requests_per_1_minute": 1_000, "max_tokens_per_1_minute": 150_000},
    "gpt-image": {
        "max_requests_per_1_minute": 500,
        "max_tokens_per_1_minute": 100_000,
        "max_images_per_1_minute": 50,
    },
    "dall-e": {
        "max_requests_per_1_minute": 500,
        "max_tokens_per_1_minute": 100_000,
        "max_images_per_1_minute": 50,
    },
    "whisper": {
        "max_requests_per_1_minute": 500,
        "max_tokens_per_1_minute": 100_000,
        "max_audio_megabytes_per_1_minute": 100,
    },
    "tts": {
        "max_requests_per_1_minute": 500,
        "max_tokens_per_1_minute": 100_000,
        "max_audio_megabytes_per_1_minute": 100,
    },
}
RATE_LIMIT_FIELDS = (
    "max_requests_per_1_minute",
    "max_tokens_per_1_minute",
    "max_images_per_1_minute",
    "max_audio_megabytes_per_1_minute",
    "max_requests_per_1_day",
    "batch_1_day_max_input_tokens",
)
_RATE_LIST = ListStyle(default_limit=100, max_limit=100)
_ALERT_LIST = ListStyle(default_limit=20, min_limit=0, max_limit=100, has_order=True)


# -- rate limits ---------------------------------------------------------------------------------


def org_limits(model: str) -> dict[str, int]:
    family = max((p for p in ORG_LIMITS if model.startswith(p)), key=len)
    return ORG_LIMITS[family]


def _catalogue(context: AdminContext) -> list[str]:
    models = [str(m["id"]) for m in context.store.list("model", scope="")]
    return models or list(FALLBACK_MODELS)


def rate_limits(context: AdminContext, project_id: str) -> list[Obj]:
    """The project's rate-limit rows (API shape), adding defaults for models not yet listed."""
    stored = {
        r["rate_limit"]["model"]: r for r in context.store.list("rate_limit", scope=project_id)
    }
    for model in _catalogue(context):
        if model not in stored:
            row: Obj = {"object": "project.rate_limit", "id": f"rl-{model}", "model": model}
            row.update(org_limits(model))
            stored[model] = {"id": scoped_id(project_id, row["id"]), "rate_limit": row}
            context.store.put("rate_limit", stored[model], scope=project_id)
    return [dict(r["rate_limit"]) for r in stored.values()]


async def list_rate_limits(request: Request) -> Response:
    context, project = admin_project(request)
    return cursor_page(request, rate_limits(context, project["id"]), _RATE_LIST)


def _check_rate_limit_update(row: Obj, body: Obj) -> Obj:
    ceilings = org_limits(str(row["model"]))
    changes: Obj = {}
    for field, value in body.items():
        if field not in ceilings:
            raise invalid(
                f"Invalid '{field}': this limit does not apply to model '{row['model']}'.",
                param=field,
                code="invalid_value",
            )
        check_type(value, int, field)
        check_range(value, field, minimum=1, maximum=ceilings[field])
        if row.get(field) != value:
            changes[field] = value
    return changes


async def update_rate_limit(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    rate_limit_id = path_param(request, "rate_limit_id")
    rows = {row["id"]: row for row in rate_limits(context, project["id"])}
    if rate_limit_id not in rows:
        raise not_in_project("Rate limit", rate_limit_id, project["id"], "rate_limit_id")
    body = await object_body(request, allowed=RATE_LIMIT_FIELDS)
    row = rows[rate_limit_id]
    changes = _check_rate_limit_update(row, body)
    if changes:
        row.update(changes)
        record = {"id": scoped_id(project["id"], rate_limit_id), "rate_limit": row}
        context.store.put("rate_limit", record, scope=project["id"])
        record_event(
            context, "rate_limit.updated", {"id": rate_limit_id, "changes_requested": changes}
        )
    return ok(row)


# -- spend limit ---------------------------------------------------------------------------------


def spend_limit_cents(context: AdminContext, project_id: str) -> int | None:
    """The project's hard monthly spend limit in US cents, or None when it has none."""
    limit = load_setting(context, project_id, "spend_limit")
    return None if limit is None else int(limit["threshold_amount"])


def _no_spend_limit(project_id: str) -> APIError:
    return APIError(404, f"No spend limit is set for project '{project_id}'.", param="project_id")


async def retrieve_spend_limit(request: Request) -> Response:
    context, project = admin_project(request)
    limit = load_setting(context, project["id"], "spend_limit")
    if limit is None:
        raise _no_spend_limit(project["id"])
    return ok(limit)


async def update_spend_limit(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    body = await object_body(
        request, allowed=(), required=("threshold_amount", "currency", "interval")
    )
    limit = {
        "object": "project.spend_limit",
        "threshold_amount": check_int(body["threshold_amount"], "threshold_amount", minimum=1),
        "currency": check_enum(body["currency"], "currency", ("USD",)),
        "interval": check_enum(body["interval"], "interval", ("month",)),
        "enforcement": {"status": "enforcing"},
    }
    save_setting(context, project["id"], "spend_limit", limit)
    changes = {"spend_limit": {k: limit[k] for k in ("threshold_amount", "currency", "interval")}}
    record_project_change(context, project["id"], changes)
    return ok(limit)


async def delete_spend_limit(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    if not drop_setting(context, project["id"], "spend_limit"):
        raise _no_spend_limit(project["id"])
    record_project_change(context, project["id"], {"spend_limit": None})
    return ok({"object": "project.spend_limit.deleted", "deleted": True})


# -- spend alerts --------------------------------------------------------------------------------


def _check_channel(value: Any) -> Obj:
    param = "notification_channel"
    check_type(value, dict, param)
    for key in value:
        if key not in ("type", "recipients", "subject_prefix"):
            raise invalid(
                f"Unknown parameter: '{param}.{key}'.",
                param=f"{param}.{key}",
                code="unknown_parameter",
            )
    for key in ("type", "recipients"):
        if value.get(key) is None:
            raise invalid(
                f"Missing required parameter: '{param}.{key}'.",
                param=f"{param}.{key}",
                code="missing_required_parameter",
            )
    recipients = check_string_list(value["recipients"], f"{param}.recipients")
    if not recipients or any("@" not in r for r in recipients):
        raise invalid(
            f"Invalid '{param}.recipients': expected one or more email addresses.",
            param=f"{param}.recipients",
            code="invalid_value",
        )
    prefix = value.get("subject_prefix")
    if prefix is not None:
        check_type(prefix, str, f"{param}.subject_prefix")
    return {
        "type": check_enum(value["type"], f"{param}.type", ("email",)),
        "recipients": recipients,
        "subject_prefix": prefix,
    }


async def _alert_fields(request: Request) -> Obj:
    body = await object_body(
        request,
        allowed=(),
        required=("threshold_amount", "currency", "interval", "notification_channel"),
    )
    return {
        "threshold_amount": check_int(body["threshold_amount"], "threshold_amount", minimum=0),
        "currency": check_enum(body["currency"], "currency", ("USD",)),
        "interval": check_enum(body["interval"], "interval", ("month",)),
        "notification_channel": _check_channel(body["notification_channel"]),
    }


def _alert(context: AdminContext, project_id: str, alert_id: str) -> Obj:
    return find_in_project(
        context, "spend_alert", project_id, alert_id, what="Spend alert", param="alert_id"
    )


async def list_alerts(request: Request) -> Response:
    context, project = admin_project(request)
    return cursor_page(request, context.store.list("spend_alert", scope=project["id"]), _ALERT_LIST)


async def create_alert(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    alert = {
        "id": new_id("alert_"),
        "object": "project.spend_alert",
        **await _alert_fields(request),
    }
    context.store.put("spend_alert", alert, scope=project["id"])
    changes = {"spend_alert": {"operation": "create", **_alert_change(alert)}}
    record_project_change(context, project["id"], changes)
    return ok(alert)


def _alert_change(alert: Obj) -> Obj:
    return {k: v for k, v in alert.items() if k != "object"}


async def retrieve_alert(request: Request) -> Response:
    context, project = admin_project(request)
    return ok(_alert(context, project["id"], path_param(request, "alert_id")))


async def update_alert(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    alert = _alert(context, project["id"], path_param(request, "alert_id"))
    alert.update(await _alert_fields(request))
    context.store.put("spend_alert", alert, scope=project["id"])
    changes = {"spend_alert": {"operation": "update", **_alert_change(alert)}}
    record_project_change(context, project["id"], changes)
    return ok(alert)


async def delete_alert(request: Request) -> Response:
    context, project = admin_project(request, write=True)
    alert = _alert(context, project["id"], path_param(request, "alert_id"))
    context.store.delete("spend_alert", alert["id"])
    changes = {"spend_alert": {"operation": "delete", "id": alert["id"]}}
    record_project_change(context, project["id"], changes)
    return ok({"id": alert["id"], "object": "project.spend_alert.deleted", "deleted": True})


_BASE = "/organization/projects/{project_id}"
ROUTES: list[BaseRoute] = [
    Route(_BASE + "/rate_limits", list_rate_limits, methods=["GET"]),
    Route(_BASE + "/rate_limits/{rate_limit_id}", update_rate_limit, methods=["POST"]),
    Route(_BASE + "/spend_limit", retrieve_spend_limit, methods=["GET"]),
    Route(_BASE + "/spend_limit", update_spend_limit, methods=["POST"]),
    Route(_BASE + "/spend_limit", delete_spend_limit, methods=["DELETE"]),
    Route(_BASE + "/spend_alerts", list_alerts, methods=["GET"]),
    Route(_BASE + "/spend_alerts", create_alert, methods=["POST"]),
    Route(_BASE + "/spend_alerts/{alert_id}", retrieve_alert, methods=["GET"]),
    Route(_BASE + "/spend_alerts/{alert_id}", update_alert, methods=["POST"]),
    Route(_BASE + "/spend_alerts/{alert_id}", delete_alert, methods=["DELETE"]),
]
