"""Project limits and settings in the sandbox's Administration API, through the SDK.

Rate limits (a default row per catalogue model, lowered within the organization's ceiling),
the hard spend limit, spend alerts, model and hosted-tool permissions, data retention and the
service-tier settings (newer than the OpenAPI document, so checked by the SDK's types only).
"""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest

from reconciler.sandbox import SandboxHandle
from reconciler.sandbox.admin import project_settings

MODEL = "gpt-4.1-mini-2025-04-14"
CHANNEL = {"type": "email", "recipients": ["finance@sandbox.example"], "subject_prefix": "[spend]"}


@pytest.fixture
def project_id(conforming_admin_client: openai.OpenAI) -> str:
    return conforming_admin_client.admin.organization.projects.create(name="Limits").id


def last_event(sandbox: SandboxHandle) -> dict[str, Any]:
    entry: dict[str, Any] = sandbox.app.state.sandbox.store.list("audit_log")[-1]
    return {"type": entry["type"], **entry[entry["type"]]}


def test_rate_limits_have_a_row_per_catalogue_model(
    conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    rate_limits = conforming_admin_client.admin.organization.projects.rate_limits
    rows = {r.model: r for r in rate_limits.list_rate_limits(project_id)}
    assert {MODEL, "text-embedding-3-small", "omni-moderation-latest"} <= set(rows)
    assert rows[MODEL].id == f"rl-{MODEL}" and rows[MODEL].max_requests_per_1_minute > 0
    page = rate_limits.list_rate_limits(project_id, limit=2)
    assert len(page.data) == 2 and page.has_more


def test_lowering_a_rate_limit_is_audited(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    rate_limits = conforming_admin_client.admin.organization.projects.rate_limits
    updated = rate_limits.update_rate_limit(
        f"rl-{MODEL}", project_id=project_id, max_requests_per_1_minute=60
    )
    assert updated.max_requests_per_1_minute == 60
    rows = {r.id: r for r in rate_limits.list_rate_limits(project_id)}
    assert rows[f"rl-{MODEL}"].max_requests_per_1_minute == 60
    assert last_event(sandbox) == {
        "type": "rate_limit.updated",
        "id": f"rl-{MODEL}",
        "changes_requested": {"max_requests_per_1_minute": 60},
    }


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"max_requests_per_1_minute": 10**9}, "max_requests_per_1_minute"),
        ({"max_tokens_per_1_minute": 0}, "max_tokens_per_1_minute"),
        ({"max_images_per_1_minute": 5}, "max_images_per_1_minute"),
        ({"max_requests_per_1_minute": "many"}, "max_requests_per_1_minute"),
        ({"requests": 5}, "requests"),
    ],
)
def test_rate_limit_bounds(
    conforming_admin_http: httpx2.Client, project_id: str, body: dict[str, Any], param: str
) -> None:
    url = f"organization/projects/{project_id}/rate_limits/rl-{MODEL}"
    response = conforming_admin_http.post(url, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_unknown_rate_limit_is_404(conforming_admin_client: openai.OpenAI, project_id: str) -> None:
    with pytest.raises(openai.NotFoundError):
        conforming_admin_client.admin.organization.projects.rate_limits.update_rate_limit(
            "rl-ada", project_id=project_id, max_requests_per_1_minute=1
        )


def test_spend_limit_set_read_delete(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    spend_limit = conforming_admin_client.admin.organization.projects.spend_limit
    with pytest.raises(openai.NotFoundError):
        spend_limit.retrieve(project_id)
    limit = spend_limit.update(project_id, threshold_amount=50_00, currency="USD", interval="month")
    assert (limit.threshold_amount, limit.enforcement.status) == (5000, "enforcing")
    assert spend_limit.retrieve(project_id).threshold_amount == 5000
    assert last_event(sandbox)["changes_requested"]["spend_limit"]["threshold_amount"] == 5000
    assert spend_limit.delete(project_id).deleted is True
    with pytest.raises(openai.NotFoundError):
        spend_limit.retrieve(project_id)
    with pytest.raises(openai.BadRequestError):
        spend_limit.update(project_id, threshold_amount=0, currency="USD", interval="month")


def test_spend_alerts_crud_and_pages(
    conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    alerts = conforming_admin_client.admin.organization.projects.spend_alerts
    created = [
        alerts.create(
            project_id,
            threshold_amount=amount,
            currency="USD",
            interval="month",
            notification_channel=CHANNEL,  # type: ignore[arg-type]
        )
        for amount in (100, 200, 300)
    ]
    assert created[0].notification_channel.recipients == CHANNEL["recipients"]
    assert [a.id for a in alerts.list(project_id, limit=2)] == [a.id for a in created]
    assert [a.threshold_amount for a in alerts.list(project_id, order="desc").data] == [
        300,
        200,
        100,
    ]
    before = alerts.list(project_id, before=created[2].id).data
    assert [a.id for a in before] == [created[0].id, created[1].id]

    updated = alerts.update(
        created[0].id,
        project_id=project_id,
        threshold_amount=150,
        currency="USD",
        interval="month",
        notification_channel=CHANNEL,  # type: ignore[arg-type]
    )
    assert alerts.retrieve(created[0].id, project_id=project_id).threshold_amount == 150
    assert updated.id == created[0].id
    deleted = alerts.delete(created[0].id, project_id=project_id)
    assert (deleted.id, deleted.deleted) == (created[0].id, True)
    with pytest.raises(openai.NotFoundError):
        alerts.retrieve(created[0].id, project_id=project_id)


@pytest.mark.parametrize(
    ("channel", "param"),
    [
        ({"type": "sms", "recipients": ["a@b.c"]}, "notification_channel.type"),
        ({"type": "email", "recipients": []}, "notification_channel.recipients"),
        ({"type": "email"}, "notification_channel.recipients"),
        ({"type": "email", "recipients": ["a@b.c"], "cc": []}, "notification_channel.cc"),
    ],
)
def test_spend_alert_channel_checks(
    conforming_admin_http: httpx2.Client, project_id: str, channel: dict[str, Any], param: str
) -> None:
    body = {
        "threshold_amount": 1,
        "currency": "USD",
        "interval": "month",
        "notification_channel": channel,
    }
    response = conforming_admin_http.post(
        f"organization/projects/{project_id}/spend_alerts", json=body
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_model_permissions(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    permissions = conforming_admin_client.admin.organization.projects.model_permissions
    default = permissions.retrieve(project_id)
    assert (default.mode, default.api_model_ids) == ("deny_list", [])
    permissions.update(project_id, mode="allow_list", model_ids=[MODEL])
    store = sandbox.app.state.sandbox.store
    assert project_settings.is_model_allowed(store, project_id, MODEL)
    assert project_settings.is_model_allowed(store, project_id, f"ft:{MODEL}:org:x:abc")
    assert not project_settings.is_model_allowed(store, project_id, "gpt-5.6-sol")
    assert permissions.delete(project_id).deleted is True
    assert permissions.retrieve(project_id).mode == "deny_list"


def test_hosted_tool_permissions(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    tools = conforming_admin_client.admin.organization.projects.hosted_tool_permissions
    assert tools.retrieve(project_id).web_search.enabled is True
    updated = tools.update(project_id, web_search={"enabled": False})
    assert updated.web_search.enabled is False and updated.file_search.enabled is True
    assert tools.retrieve(project_id).web_search.enabled is False
    store = sandbox.app.state.sandbox.store
    assert not project_settings.is_hosted_tool_enabled(store, project_id, "web_search")
    assert last_event(sandbox)["changes_requested"] == {
        "hosted_tool_permissions": {"web_search": {"enabled": False}}
    }


def test_data_retention(conforming_admin_client: openai.OpenAI, project_id: str) -> None:
    retention = conforming_admin_client.admin.organization.projects.data_retention
    assert retention.retrieve(project_id).type == "organization_default"
    assert retention.update(project_id, retention_type="zero_data_retention").type == (
        "zero_data_retention"
    )
    assert retention.retrieve(project_id).type == "zero_data_retention"
    with pytest.raises(openai.BadRequestError):
        retention.update(project_id, retention_type="forever")  # type: ignore[arg-type]


def test_service_tier_settings(admin_client: openai.OpenAI, project_id: str) -> None:
    """Newer than the OpenAPI document: checked by the SDK's own types only."""
    tiers = admin_client.admin.organization.projects.service_tier_settings
    assert (tiers.retrieve(project_id).default, tiers.retrieve(project_id).enabled_tiers) == (
        "standard",
        "all",
    )
    updated = tiers.update(project_id, default="fast", enabled_tiers=["flex", "fast"])
    assert (updated.default, updated.enabled_tiers) == ("fast", ["flex", "fast"])
    with pytest.raises(openai.BadRequestError):
        tiers.update(project_id, enabled_tiers=["flex"])  # default "fast" no longer enabled
    with pytest.raises(openai.BadRequestError):
        tiers.update(project_id)


def test_settings_of_an_archived_project_are_frozen(
    conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    projects = conforming_admin_client.admin.organization.projects
    projects.archive(project_id)
    assert projects.data_retention.retrieve(project_id).type == "organization_default"
    with pytest.raises(openai.BadRequestError):
        projects.data_retention.update(project_id, retention_type="none")
    with pytest.raises(openai.BadRequestError):
        projects.rate_limits.update_rate_limit(
            f"rl-{MODEL}", project_id=project_id, max_requests_per_1_minute=1
        )
