"""Organization admin API keys of the sandbox: the value is shown once and authenticates."""

from __future__ import annotations

import httpx2
import openai
import pytest

from reconciler.sandbox import SandboxHandle


def admin_client(sandbox: SandboxHandle, admin_key: str) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=sandbox.project_key,
        admin_api_key=admin_key,
        base_url=sandbox.base_url,
        max_retries=0,
    )


def test_the_seeded_admin_key_is_listed(conforming_admin_client: openai.OpenAI) -> None:
    keys = conforming_admin_client.admin.organization.admin_api_keys.list()
    assert [k.id for k in keys] == ["key_sandboxadmin"]
    key = keys.data[0]
    assert key.redacted_value.startswith("sk-admin") and "..." in key.redacted_value
    assert (key.owner.type, key.owner.role, key.owner.name) == ("user", "owner", "Sandbox Owner")


def test_create_shows_the_value_once_and_it_works(
    conforming_admin_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    keys = conforming_admin_client.admin.organization.admin_api_keys
    created = keys.create(name="ci", expires_in_seconds=3600)
    assert created.value.startswith("sk-admin-")
    assert created.expires_at == created.created_at + 3600
    assert created.redacted_value == f"{created.value[:8]}...{created.value[-3:]}"
    retrieved = keys.retrieve(created.id)
    assert retrieved.name == "ci"
    assert "value" not in retrieved.model_dump()
    assert [k.id for k in keys.list()] == ["key_sandboxadmin", created.id]
    assert [k.id for k in keys.list(order="desc", limit=1)] == [created.id, "key_sandboxadmin"]
    with admin_client(sandbox, created.value) as ci:
        assert [u.role for u in ci.admin.organization.users.list()] == ["owner"]


def test_an_admin_key_past_its_expiry_is_an_incorrect_key(
    conforming_admin_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    created = conforming_admin_client.admin.organization.admin_api_keys.create(
        name="ci", expires_in_seconds=60
    )
    with admin_client(sandbox, created.value) as ci:
        ci.admin.organization.users.list()
        response = httpx2.post(f"{sandbox.control_url}/clock/advance", json={"seconds": 60})
        response.raise_for_status()
        with pytest.raises(openai.AuthenticationError) as caught:
            ci.admin.organization.users.list()
    assert caught.value.code == "invalid_api_key"
    assert "Incorrect API key provided: sk-adm" in caught.value.message
    assert conforming_admin_client.admin.organization.users.list().data  # the seeded key lasts


def test_a_deleted_key_stops_working(
    conforming_admin_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    keys = conforming_admin_client.admin.organization.admin_api_keys
    created = keys.create(name="temporary")
    deleted = keys.delete(created.id)
    assert (deleted.object, deleted.id, deleted.deleted) == (
        "organization.admin_api_key.deleted",
        created.id,
        True,
    )
    with admin_client(sandbox, created.value) as gone, pytest.raises(openai.AuthenticationError):
        gone.admin.organization.users.list()
    with pytest.raises(openai.NotFoundError):
        keys.retrieve(created.id)


def test_an_admin_key_cannot_call_project_endpoints(sandbox: SandboxHandle) -> None:
    with (
        openai.OpenAI(
            api_key=sandbox.admin_key, base_url=sandbox.base_url, max_retries=0
        ) as client,
        pytest.raises(openai.AuthenticationError),
    ):
        client.models.list()
