"""Organization spend limit, spend alerts and data retention of the sandbox, through the SDK."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest

from reconciler.sandbox import SandboxHandle

EMAIL_CHANNEL: Any = {"type": "email", "recipients": ["finance@example.com"]}


def amount(threshold_amount: int, **overrides: Any) -> dict[str, Any]:
    return {
        "threshold_amount": threshold_amount,
        "currency": "USD",
        "interval": "month",
    } | overrides


@pytest.fixture
def admin(conforming_admin_client: openai.OpenAI) -> openai.OpenAI:
    return conforming_admin_client


def test_spend_limit_set_read_delete(admin: openai.OpenAI) -> None:
    spend_limit = admin.admin.organization.spend_limit
    with pytest.raises(openai.NotFoundError):
        spend_limit.retrieve()
    limit = spend_limit.update(**amount(50_000))
    assert (limit.object, limit.threshold_amount, limit.enforcement.status) == (
        "organization.spend_limit",
        50_000,
        "inactive",
    )
    assert spend_limit.retrieve().threshold_amount == 50_000
    deleted = spend_limit.delete()
    assert (deleted.object, deleted.deleted) == ("organization.spend_limit.deleted", True)
    with pytest.raises(openai.NotFoundError):
        spend_limit.delete()


def test_spend_limit_enforces_once_this_months_costs_reach_it(
    admin: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    state = sandbox.app.state.sandbox
    event = {
        "id": "usage_evt_big",
        "time": state.clock.now(),
        "project_id": "proj_a",
        "api_key_id": "key_sandboxproject",
        "model": "gpt-5.6-sol",
        "endpoint": "responses",
        "input_tokens": 1,
        "output_tokens": 1,
        "input_cached_tokens": 0,
        "num_model_requests": 1,
        "batch": False,
        "cost_usd": 12.5,
    }
    state.store.put("usage_event", event)
    spend_limit = admin.admin.organization.spend_limit
    assert spend_limit.update(**amount(1250)).enforcement.status == "enforcing"
    assert spend_limit.update(**amount(1251)).enforcement.status == "inactive"


def test_spend_alerts_crud_and_paging(admin: openai.OpenAI) -> None:
    alerts = admin.admin.organization.spend_alerts
    created = [
        alerts.create(**amount(cents), notification_channel=EMAIL_CHANNEL)
        for cents in (10_000, 20_000, 30_000)
    ]
    ids = [alert.id for alert in created]
    assert created[0].notification_channel.recipients == ["finance@example.com"]
    assert [a.id for a in alerts.list()] == ids
    first = alerts.list(limit=2)
    assert (first.has_more, first.last_id) == (True, ids[1])
    assert [a.id for a in alerts.list(limit=2)] == ids  # the SDK pages on
    assert [a.id for a in alerts.list(before=ids[2], limit=1).data] == [ids[1]]
    assert [a.id for a in alerts.list(order="desc").data] == ids[::-1]
    channel = {**EMAIL_CHANNEL, "subject_prefix": "[spend]"}
    updated = alerts.update(ids[0], **amount(15_000), notification_channel=channel)
    assert (updated.threshold_amount, updated.notification_channel.subject_prefix) == (
        15_000,
        "[spend]",
    )
    assert alerts.retrieve(ids[0]).threshold_amount == 15_000
    deleted = alerts.delete(ids[1])
    assert (deleted.object, deleted.deleted) == ("organization.spend_alert.deleted", True)
    with pytest.raises(openai.NotFoundError):
        alerts.retrieve(ids[1])


def test_data_retention(admin: openai.OpenAI) -> None:
    retention = admin.admin.organization.data_retention
    with pytest.raises(openai.NotFoundError):
        retention.retrieve()
    updated = retention.update(retention_type="zero_data_retention")
    assert (updated.object, updated.type) == ("organization.data_retention", "zero_data_retention")
    assert retention.retrieve().type == "zero_data_retention"


def test_billing_changes_are_audited(admin: openai.OpenAI) -> None:
    org = admin.admin.organization
    org.spend_limit.update(**amount(100))
    org.data_retention.update(retention_type="modified_abuse_monitoring")
    logs = org.audit_logs.list(event_types=["organization.updated"]).data
    assert len(logs) == 2


CHANNEL_PARAM = "notification_channel"
BAD_BODIES = [
    ("spend_limit", amount(0), "threshold_amount"),
    ("spend_limit", amount(5, currency="EUR"), "currency"),
    ("spend_limit", amount(5, interval="week"), "interval"),
    ("spend_alerts", amount(5), CHANNEL_PARAM),
    (
        "spend_alerts",
        amount(5, notification_channel={"type": "sms", "recipients": ["x"]}),
        f"{CHANNEL_PARAM}.type",
    ),
    (
        "spend_alerts",
        amount(5, notification_channel={"type": "email", "recipients": []}),
        f"{CHANNEL_PARAM}.recipients",
    ),
    ("data_retention", {"retention_type": "forever"}, "retention_type"),
]


@pytest.mark.parametrize(("path", "body", "param"), BAD_BODIES)
def test_bad_bodies_get_400_naming_the_parameter(
    conforming_admin_http: httpx2.Client, path: str, body: dict[str, Any], param: str
) -> None:
    response = conforming_admin_http.post(f"organization/{path}", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
