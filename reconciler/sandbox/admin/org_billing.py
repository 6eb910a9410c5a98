"""Organization-level spend limit, spend alerts and data retention.

Serves /organization/spend_limit, /organization/spend_alerts[/{id}] and
/organization/data_retention. The limit and the retention setting are store settings
(`org.spend_limit`, `org.data_retention`); alerts are `"org_spend_alert"` records. The limit
reports `enforcing` once this calendar month's `"usage_event"` costs reach it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import (
    APIError,
    Obj,
    check_params,
    check_range,
    check_type,
    invalid,
    json_body,
    json_response,
    query_int,
)
from ..store import new_id
from .org_common import (
    AdminContext,
    admin_context,
    check_enum,
    path_param,
    query_choice,
    record_event,
)

SPEND_LIMIT_KEY = "org.spend_limit"
DATA_RETENTION_KEY = "org.data_retention"
RETENTION_TYPES = (
    "zero_data_retention",
    "modified_abuse_monitoring",
    "enhanced_zero_data_retention",
    "enhanced_modified_abuse_monitoring",
)
_AMOUNT_FIELDS = ("threshold_amount", "currency", "interval")


def _check_amount(body: Obj, *, minimum: int) -> Obj:
    check_type(body["threshold_amount"], int, "threshold_amount")
    check_range(body["threshold_amount"], "threshold_amount", minimum=minimum)
    return {
        "threshold_amount": body["threshold_amount"],
        "currency": check_enum(body["currency"], "currency", ("USD",)),
        "interval": check_enum(body["interval"], "interval", ("month",)),
    }


def _record_change(context: AdminContext, changes: Obj) -> None:
    record_event(
        context,
        "organization.updated",
        {"id": context.sandbox.org_id, "changes_requested": changes},
    )


# -- spend limit ---------------------------------------------------------------------------------


def month_to_date_cents(context: AdminContext) -> float:
    """What the organization's stand-in traffic has cost since the first of this UTC month."""
    now = dt.datetime.fromtimestamp(context.now, tz=dt.UTC)
    month_start = int(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp())
    events = context.sandbox.store.list("usage_event", where=lambda e: e["time"] >= month_start)
    return 100 * sum(float(e.get("cost_usd") or 0.0) for e in events)


def _spend_limit(context: AdminContext) -> Obj:
    limit = context.sandbox.store.get_setting(SPEND_LIMIT_KEY)
    if limit is None:
        raise APIError(404, "No spend limit is set for this organization.")
    enforcing = month_to_date_cents(context) >= limit["threshold_amount"]
    return {
        "object": "organization.spend_limit",
        **limit,
        "enforcement": {"status": "enforcing" if enforcing else "inactive"},
    }


async def retrieve_spend_limit(request: Request) -> Response:
    return json_response(_spend_limit(admin_context(request)))


async def update_spend_limit(request: Request) -> Response:
    context = admin_context(request)
    body = await json_body(request)
    check_params(body, allowed=(), required=_AMOUNT_FIELDS)
    limit = _check_amount(body, minimum=1)
    context.sandbox.store.set_setting(SPEND_LIMIT_KEY, limit)
    _record_change(context, {"spend_limit": limit})
    return json_response(_spend_limit(context))


async def delete_spend_limit(request: Request) -> Response:
    context = admin_context(request)
    _spend_limit(context)  # 404 when there is none
    context.sandbox.store.set_setting(SPEND_LIMIT_KEY, None)
    _record_change(context, {"spend_limit": None})
    return json_response({"object": "organization.spend_limit.deleted", "deleted": True})


# -- spend alerts --------------------------------------------------------------------------------


def _check_channel(channel: Any) -> Obj:
    param = "notification_channel"
    check_type(channel, dict, param)
    for key in channel:
        if key not in ("type", "recipients", "subject_prefix"):
            raise invalid(f"Unknown parameter: '{param}.{key}'.", param=f"{param}.{key}")
    check_enum(channel.get("type"), f"{param}.type", ("email",))
    recipients = channel.get("recipients")
    check_type(recipients, list, f"{param}.recipients")
    if not recipients:
        raise invalid(
            f"'{param}.recipients' must list at least one address.", param=f"{param}.recipients"
        )
    for index, recipient in enumerate(recipients):
        check_type(recipient, str, f"{param}.recipients[{index}]")
    prefix = channel.get("subject_prefix")
    if prefix is not None:
        check_type(prefix, str, f"{param}.subject_prefix")
    return {"type": "email", "recipients": list(recipients), "subject_prefix": prefix}


async def _alert_fields(request: Request) -> Obj:
    body = await json_body(request)
    check_params(body, allowed=(), required=(*_AMOUNT_FIELDS, "notification_channel"))
    fields = _check_amount(body, minimum=0)
    fields["notification_channel"] = _check_channel(body["notification_channel"])
    return fields


def _find_alert(context: AdminContext, alert_id: str) -> Obj:
    alert = context.sandbox.store.get("org_spend_alert", alert_id)
    if alert is None:
        raise APIError(404, f"Spend alert with ID '{alert_id}' not found.", param="alert_id")
    return alert


async def list_alerts(request: Request) -> Response:
    context = admin_context(request)
    limit = query_int(request, "limit", 20, minimum=0, maximum=100)
    order = query_choice(request, "order", ("asc", "desc"), "asc")
    alerts = context.sandbox.store.list("org_spend_alert")
    ordered = alerts if order == "asc" else alerts[::-1]
    ids = [alert["id"] for alert in ordered]
    if after := request.query_params.get("after"):
        rest = ordered[ids.index(after) + 1 :] if after in ids else []
        page, has_more = rest[:limit], len(rest) > limit
    elif before := request.query_params.get("before"):
        rest = ordered[: ids.index(before)] if before in ids else []
        page, has_more = rest[len(rest) - limit :] if limit else [], len(rest) > limit
    else:
        page, has_more = ordered[:limit], len(ordered) > limit
    return json_response(
        {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": has_more,
        }
    )


async def create_alert(request: Request) -> Response:
    context = admin_context(request)
    fields = await _alert_fields(request)
    alert = {"id": new_id("alert_"), "object": "organization.spend_alert", **fields}
    context.sandbox.store.put("org_spend_alert", alert)
    _record_change(context, {"spend_alert_created": alert["id"]})
    return json_response(alert)


async def retrieve_alert(request: Request) -> Response:
    context = admin_context(request)
    return json_response(_find_alert(context, path_param(request, "alert_id")))


async def update_alert(request: Request) -> Response:
    context = admin_context(request)
    alert = _find_alert(context, path_param(request, "alert_id"))
    alert.update(await _alert_fields(request))
    context.sandbox.store.put("org_spend_alert", alert)
    _record_change(context, {"spend_alert_updated": alert["id"]})
    return json_response(alert)


async def delete_alert(request: Request) -> Response:
    context = admin_context(request)
    alert = _find_alert(context, path_param(request, "alert_id"))
    context.sandbox.store.delete("org_spend_alert", alert["id"])
    _record_change(context, {"spend_alert_deleted": alert["id"]})
    return json_response(
        {"id": alert["id"], "object": "organization.spend_alert.deleted", "deleted": True}
    )


# -- data retention ------------------------------------------------------------------------------


async def retrieve_data_retention(request: Request) -> Response:
    context = admin_context(request)
    retention = context.sandbox.store.get_setting(DATA_RETENTION_KEY)
    if retention is None:
        raise APIError(404, "No data retention controls are configured for this organization.")
    return json_response({"object": "organization.data_retention", "type": retention})


async def update_data_retention(request: Request) -> Response:
    context = admin_context(request)
    body = await json_body(request)
    check_params(body, allowed=(), required=("retention_type",))
    retention = check_enum(body["retention_type"], "retention_type", RETENTION_TYPES)
    context.sandbox.store.set_setting(DATA_RETENTION_KEY, retention)
    _record_change(context, {"data_retention": retention})
    return json_response({"object": "organization.data_retention", "type": retention})


ROUTES: list[BaseRoute] = [
    Route("/organization/spend_limit", retrieve_spend_limit, methods=["GET"]),
    Route("/organization/spend_limit", update_spend_limit, methods=["POST"]),
    Route("/organization/spend_limit", delete_spend_limit, methods=["DELETE"]),
    Route("/organization/spend_alerts", list_alerts, methods=["GET"]),
    Route("/organization/spend_alerts", create_alert, methods=["POST"]),
    Route("/organization/spend_alerts/{alert_id}", retrieve_alert, methods=["GET"]),
    Route("/organization/spend_alerts/{alert_id}", update_alert, methods=["POST"]),
    Route("/organization/spend_alerts/{alert_id}", delete_alert, methods=["DELETE"]),
    Route("/organization/data_retention", retrieve_data_retention, methods=["GET"]),
    Route("/organization/data_retention", update_data_retention, methods=["POST"]),
]
