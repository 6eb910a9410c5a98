"""Projects in the sandbox's Administration API, end to end through the official SDK.

The seed workflow of issue 2 (create a project, add a member and a service account, use the new
key against /v1/files, archive, find it all in the audit log), pagination, and the errors a
client meets: a project key on an admin route, an unknown project, changes to an archived one.
"""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest

from reconciler.sandbox import SandboxHandle

MEMBER = {
    "object": "organization.user",
    "id": "user-alicemember0000000000000",
    "name": "Alice Member",
    "email": "alice@sandbox.example",
    "role": "reader",
    "added_at": 1790000000,
}


def add_org_user(sandbox: SandboxHandle, user: dict[str, Any] = MEMBER) -> str:
    """An organization user (the organization routes own this kind; put directly)."""
    sandbox.app.state.sandbox.store.put("org_user", dict(user))
    return str(user["id"])


def audit_entries(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return sandbox.app.state.sandbox.store.list("audit_log")


def test_create_add_member_and_service_account_then_archive(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, response_checker: Any
) -> None:
    projects = conforming_admin_client.admin.organization.projects
    user_id = add_org_user(sandbox)

    project = projects.create(name="Support")
    assert (project.object, project.status, project.archived_at) == (
        "organization.project",
        "active",
        None,
    )
    assert project.id.startswith("proj_")
    member = projects.users.create(project.id, user_id=user_id, role="member")
    assert (member.id, member.role, member.email) == (user_id, "member", MEMBER["email"])
    account = projects.service_accounts.create(project.id, name="ci-bot")
    assert account.api_key is not None and account.api_key.value.startswith("sk-svcacct-")

    with openai.OpenAI(api_key=account.api_key.value, base_url=sandbox.base_url) as bot:
        uploaded = bot.files.create(file=("a.jsonl", b'{"x": 1}\n'), purpose="batch")
        assert [f.id for f in bot.files.list()] == [uploaded.id]
    with openai.OpenAI(api_key=sandbox.project_key, base_url=sandbox.base_url) as default:
        assert uploaded.id not in [f.id for f in default.files.list()]  # another project's file

    archived = projects.archive(project.id)
    assert archived.status == "archived" and archived.archived_at is not None
    bot = openai.OpenAI(api_key=account.api_key.value, base_url=sandbox.base_url, max_retries=0)
    with bot, pytest.raises(openai.AuthenticationError):
        bot.files.list()  # the archived project's keys are revoked

    assert f"POST /v1/organization/projects/{project.id}/archive -> 200" in response_checker.checked
    events = [(e["type"], e[e["type"]]["id"]) for e in audit_entries(sandbox)]
    assert ("project.created", project.id) in events
    assert ("user.added", user_id) in events
    assert ("service_account.created", account.id) in events
    assert ("project.archived", project.id) in events


def test_audit_entries_name_the_actor_and_the_changed_fields(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI
) -> None:
    projects = conforming_admin_client.admin.organization.projects
    project = projects.create(name="Old name")
    projects.update(project.id, name="New name")

    entry = audit_entries(sandbox)[-1]
    assert entry["type"] == "project.updated"
    assert entry["project.updated"] == {
        "id": project.id,
        "changes_requested": {"name": "New name", "title": "New name"},
    }
    owner = sandbox.app.state.sandbox.owner_user_id
    assert entry["actor"]["api_key"]["user"]["id"] == owner
    assert entry["project"]["id"] == sandbox.app.state.sandbox.default_project_id


def test_audit_log_listing_shows_project_mutations(
    conforming_admin_client: openai.OpenAI,
) -> None:
    organization = conforming_admin_client.admin.organization
    project = organization.projects.create(name="Audited")
    account = organization.projects.service_accounts.create(project.id, name="audited-bot")
    logs = list(organization.audit_logs.list(event_types=["project.created"]))
    assert project.id in [log.project_created.id for log in logs if log.project_created]
    (created,) = organization.audit_logs.list(event_types=["service_account.created"])
    assert created.service_account_created is not None
    assert created.service_account_created.id == account.id


def test_new_project_has_its_creator_as_owner(conforming_admin_client: openai.OpenAI) -> None:
    projects = conforming_admin_client.admin.organization.projects
    project = projects.create(name="Mine")
    users = list(projects.users.list(project.id))
    assert [(u.email, u.role) for u in users] == [("owner@sandbox.example", "owner")]


def test_retrieve_update_and_residency(conforming_admin_client: openai.OpenAI) -> None:
    projects = conforming_admin_client.admin.organization.projects
    project = projects.create(name="EU team", residency="EU_STORAGE_PROCESSING")
    assert projects.retrieve(project.id).residency == "EU_STORAGE_PROCESSING"
    renamed = projects.update(project.id, name="EU platform")
    assert (renamed.id, renamed.name) == (project.id, "EU platform")
    assert projects.retrieve(project.id).name == "EU platform"
    assert projects.create(name="Legacy", geography="US").residency == "US_STORAGE_PROCESSING"


def test_list_pages_and_hides_archived_projects(conforming_admin_client: openai.OpenAI) -> None:
    projects = conforming_admin_client.admin.organization.projects
    created = [projects.create(name=f"p{i}").id for i in range(5)]
    projects.archive(created[0])

    first = projects.list(limit=2)
    assert len(first.data) == 2 and first.has_more
    assert first.last_id == first.data[-1].id
    active = [p.id for p in projects.list(limit=2)]  # iterating follows `after` page by page
    assert created[0] not in active and set(created[1:]) <= set(active)
    everything = [p.id for p in projects.list(include_archived=True, limit=100)]
    assert everything[-5:] == created  # oldest first
    assert [p.id for p in projects.list(after=created[3])] == [created[4]]


def test_a_project_key_gets_the_admin_error(conforming_http: httpx2.Client) -> None:
    response = conforming_http.get("organization/projects")
    assert response.status_code == 401
    assert "admin key" in response.json()["error"]["message"]


def test_the_sdk_with_a_project_key_as_admin_key_raises(sandbox: SandboxHandle) -> None:
    with (
        openai.OpenAI(
            api_key=sandbox.project_key,
            admin_api_key=sandbox.project_key,
            base_url=sandbox.base_url,
        ) as client,
        pytest.raises(openai.AuthenticationError),
    ):
        client.admin.organization.projects.create(name="nope")


def test_unknown_project_is_404(conforming_admin_client: openai.OpenAI) -> None:
    projects = conforming_admin_client.admin.organization.projects
    with pytest.raises(openai.NotFoundError) as raised:
        projects.retrieve("proj_doesnotexist")
    assert "proj_doesnotexist" in raised.value.message
    with pytest.raises(openai.NotFoundError):
        projects.users.list("proj_doesnotexist")


def test_archived_project_refuses_changes(conforming_admin_client: openai.OpenAI) -> None:
    projects = conforming_admin_client.admin.organization.projects
    project = projects.create(name="Closing")
    projects.archive(project.id)
    with pytest.raises(openai.BadRequestError) as raised:
        projects.update(project.id, name="Reopened")
    assert "archived" in raised.value.message
    with pytest.raises(openai.BadRequestError):
        projects.service_accounts.create(project.id, name="late")
    assert projects.archive(project.id).status == "archived"  # archiving again is a no-op
    assert projects.retrieve(project.id).name == "Closing"


def test_default_project_cannot_be_archived(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI
) -> None:
    default_id = sandbox.app.state.sandbox.default_project_id
    with pytest.raises(openai.BadRequestError) as raised:
        conforming_admin_client.admin.organization.projects.archive(default_id)
    assert "default project" in raised.value.message


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": 3}, "name"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": "x", "residency": "MARS"}, "residency"),
        ({"name": "x", "residency": "GLOBAL", "geography": "US"}, "geography"),
    ],
)
def test_create_rejects_bad_bodies(
    conforming_admin_http: httpx2.Client, body: dict[str, Any], param: str
) -> None:
    response = conforming_admin_http.post("organization/projects", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
