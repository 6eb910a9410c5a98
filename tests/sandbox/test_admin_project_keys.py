"""Service accounts and project API keys in the sandbox's Administration API, through the SDK.

The secret of a new key is answered once, by the create call; afterwards only its redacted
form. A service account's key works against /v1 in its project only, and dies with it.
"""

from __future__ import annotations

import httpx2
import openai
import pytest

from reconciler.sandbox import SandboxHandle


@pytest.fixture
def project_id(conforming_admin_client: openai.OpenAI) -> str:
    return conforming_admin_client.admin.organization.projects.create(name="Keys").id


def _bot(sandbox: SandboxHandle, secret: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=secret, base_url=sandbox.base_url, max_retries=0)


def _advance(sandbox: SandboxHandle, seconds: float) -> None:
    response = httpx2.post(f"{sandbox.control_url}/clock/advance", json={"seconds": seconds})
    response.raise_for_status()


def test_the_secret_is_shown_once(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    projects = conforming_admin_client.admin.organization.projects
    account = projects.service_accounts.create(project_id, name="deployer")
    assert account.role == "member" and account.api_key is not None
    secret = account.api_key.value

    retrieved = projects.service_accounts.retrieve(account.id, project_id=project_id)
    assert retrieved.name == "deployer" and "api_key" not in retrieved.model_dump()
    keys = list(projects.api_keys.list(project_id))
    assert [k.id for k in keys] == [account.api_key.id]
    key = keys[0]
    assert key.owner.type == "service_account" and key.owner.service_account is not None
    assert key.owner.service_account.id == account.id
    assert key.redacted_value != secret and secret not in str(key.model_dump())
    assert key.redacted_value.endswith(secret[-4:])
    store = sandbox.app.state.sandbox.store
    assert store.get("secret_key", secret)["project_id"] == project_id  # type: ignore[index]


def test_service_account_key_is_pinned_to_its_project(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    account = conforming_admin_client.admin.organization.projects.service_accounts.create(
        project_id, name="pinned"
    )
    assert account.api_key is not None
    default_id = sandbox.app.state.sandbox.default_project_id
    with _bot(sandbox, account.api_key.value) as bot:
        bot.files.list()
        with pytest.raises(openai.AuthenticationError) as caught:
            bot.files.list(extra_headers={"OpenAI-Project": default_id})
    assert caught.value.code == "mismatched_project"


def test_the_owners_project_key_acts_only_in_its_own_project(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    """The printed project key is a project key too: another project answers the real API's
    401 mismatched_project, its own project (named or not) answers."""
    default_id = sandbox.app.state.sandbox.default_project_id
    with _bot(sandbox, sandbox.project_key) as owner:
        owner.files.list()
        owner.files.list(extra_headers={"OpenAI-Project": default_id})
        with pytest.raises(openai.AuthenticationError) as caught:
            owner.files.list(extra_headers={"OpenAI-Project": project_id})
    assert caught.value.status_code == 401
    assert caught.value.body == {
        "message": "OpenAI-Project header should match project for API key",
        "type": "invalid_request_error",
        "param": None,
        "code": "mismatched_project",
    }


def test_deleting_the_service_account_revokes_its_key(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    accounts = conforming_admin_client.admin.organization.projects.service_accounts
    account = accounts.create(project_id, name="short-lived")
    assert account.api_key is not None
    deleted = accounts.delete(account.id, project_id=project_id)
    assert (deleted.id, deleted.deleted) == (account.id, True)
    with _bot(sandbox, account.api_key.value) as bot, pytest.raises(openai.AuthenticationError):
        bot.files.list()
    assert list(conforming_admin_client.admin.organization.projects.api_keys.list(project_id)) == []
    with pytest.raises(openai.NotFoundError):
        accounts.retrieve(account.id, project_id=project_id)
    types = [e["type"] for e in sandbox.app.state.sandbox.store.list("audit_log")]
    assert types[-3:] == ["service_account.created", "api_key.created", "service_account.deleted"]


def test_a_key_past_its_expiry_is_an_incorrect_key(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    accounts = conforming_admin_client.admin.organization.projects.service_accounts
    account = accounts.create(project_id, name="expiring", extra_body={"expires_in_seconds": 60})
    extra = accounts.api_keys.create(account.id, project_id=project_id, expires_in_seconds=120)
    assert account.api_key is not None and extra.value is not None
    with _bot(sandbox, account.api_key.value) as bot, _bot(sandbox, extra.value) as later:
        bot.files.list()
        _advance(sandbox, 60)
        with pytest.raises(openai.AuthenticationError) as caught:
            bot.files.list()
        later.files.list()
    assert caught.value.code == "invalid_api_key"
    assert "Incorrect API key provided: sk-svc" in caught.value.message


def test_more_keys_for_a_service_account(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    projects = conforming_admin_client.admin.organization.projects
    account = projects.service_accounts.create(
        project_id, name="bare", create_service_account_only=True
    )
    assert (account.role, account.api_key) == ("none", None)
    extra = projects.service_accounts.api_keys.create(
        account.id, project_id=project_id, name="second", scopes=["api.model.request"]
    )
    assert extra.name == "second" and extra.value.startswith("sk-svcacct-")
    with _bot(sandbox, extra.value) as bot:
        assert list(bot.files.list()) == []


def test_update_and_rename_a_service_account(
    conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    accounts = conforming_admin_client.admin.organization.projects.service_accounts
    account = accounts.create(project_id, name="old")
    updated = accounts.update(account.id, project_id=project_id, name="new", role="owner")
    assert (updated.name, updated.role) == ("new", "owner")
    assert [a.name for a in accounts.list(project_id)] == ["new"]
    with pytest.raises(openai.BadRequestError):
        accounts.update(account.id, project_id=project_id, role="admin")  # type: ignore[arg-type]


def test_user_keys_are_listed_and_deletable(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI
) -> None:
    api_keys = conforming_admin_client.admin.organization.projects.api_keys
    default_id = sandbox.app.state.sandbox.default_project_id
    (key,) = list(api_keys.list(default_id))
    assert key.owner.type == "user" and key.owner.user is not None
    assert (key.owner.user.email, key.owner.user.role) == ("owner@sandbox.example", "owner")
    assert key.owner_project_access == "active"
    assert api_keys.retrieve(key.id, project_id=default_id).name == key.name

    deleted = api_keys.delete(key.id, project_id=default_id)
    assert (deleted.id, deleted.deleted) == (key.id, True)
    with _bot(sandbox, sandbox.project_key) as client, pytest.raises(openai.AuthenticationError):
        client.files.list()
    with pytest.raises(openai.NotFoundError):
        api_keys.retrieve(key.id, project_id=default_id)


def test_service_account_keys_cannot_be_deleted_directly(
    conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    projects = conforming_admin_client.admin.organization.projects
    account = projects.service_accounts.create(project_id, name="kept")
    assert account.api_key is not None
    with pytest.raises(openai.BadRequestError) as raised:
        projects.api_keys.delete(account.api_key.id, project_id=project_id)
    assert "service account" in raised.value.message


def test_key_update_is_served_for_the_sdk(
    sandbox: SandboxHandle, admin_client: openai.OpenAI, project_id: str
) -> None:
    """`POST .../api_keys/{id}` is newer than the OpenAPI document: checked by SDK types only."""
    projects = admin_client.admin.organization.projects
    account = projects.service_accounts.create(project_id, name="scoped")
    assert account.api_key is not None
    updated = projects.api_keys.update(
        account.api_key.id, project_id=project_id, scopes=["api.all.read"], expires_in_seconds=60
    )
    now = sandbox.app.state.sandbox.clock.now()
    assert updated.expires_at is not None and now <= updated.expires_at <= now + 61
    with pytest.raises(openai.BadRequestError):
        projects.api_keys.update(account.api_key.id, project_id=project_id)


def test_api_key_lists_filter_by_owner_access(
    sandbox: SandboxHandle, conforming_admin_http: httpx2.Client
) -> None:
    default_id = sandbox.app.state.sandbox.default_project_id
    url = f"organization/projects/{default_id}/api_keys"
    assert len(conforming_admin_http.get(url).json()["data"]) == 1
    assert (
        conforming_admin_http.get(url, params={"owner_project_access": "inactive"}).json()["data"]
        == []
    )
    bad = conforming_admin_http.get(url, params={"owner_project_access": "some"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "owner_project_access"
