"""Project users, groups and roles in the sandbox's Administration API, through the SDK.

Users and groups belong to the organization half (kinds `"org_user"` and `"group"`); the tests
put them in the store directly, then manage their project membership through the API.
"""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest

from reconciler.sandbox import SandboxHandle

BOB: dict[str, Any] = {
    "object": "organization.user",
    "id": "user-bobbuilder00000000000000",
    "name": "Bob Builder",
    "email": "Bob@Sandbox.example",
    "role": "reader",
    "added_at": 1790000000,
}
SUPPORT_GROUP: dict[str, Any] = {
    "object": "group",
    "id": "group_support0000000000",
    "name": "Support Team",
    "created_at": 1790000000,
    "scim_managed": False,
}


@pytest.fixture
def project_id(sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI) -> str:
    store = sandbox.app.state.sandbox.store
    store.put("org_user", dict(BOB))
    store.put("group", dict(SUPPORT_GROUP))
    return conforming_admin_client.admin.organization.projects.create(name="Members").id


def test_user_membership_lifecycle(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    users = conforming_admin_client.admin.organization.projects.users
    added = users.create(project_id, email="bob@sandbox.example", role="member")  # any case
    assert (added.id, added.name, added.role) == (BOB["id"], "Bob Builder", "member")
    assert users.retrieve(BOB["id"], project_id=project_id).role == "member"
    assert users.update(BOB["id"], project_id=project_id, role="owner").role == "owner"
    assert {u.id: u.role for u in users.list(project_id)}[BOB["id"]] == "owner"

    deleted = users.delete(BOB["id"], project_id=project_id)
    assert (deleted.id, deleted.deleted, deleted.object) == (
        BOB["id"],
        True,
        "organization.project.user.deleted",
    )
    with pytest.raises(openai.NotFoundError):
        users.retrieve(BOB["id"], project_id=project_id)
    types = [e["type"] for e in sandbox.app.state.sandbox.store.list("audit_log")]
    assert types[-3:] == ["user.added", "user.updated", "user.deleted"]


def test_a_user_removed_from_the_organization_leaves_the_project(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    users = conforming_admin_client.admin.organization.projects.users
    users.create(project_id, user_id=BOB["id"], role="member")
    sandbox.app.state.sandbox.store.delete("org_user", BOB["id"])
    assert BOB["id"] not in [u.id for u in users.list(project_id)]


def test_users_must_exist_in_the_organization_and_join_once(
    conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    users = conforming_admin_client.admin.organization.projects.users
    with pytest.raises(openai.NotFoundError):
        users.create(project_id, user_id="user-nobody", role="member")
    users.create(project_id, user_id=BOB["id"], role="member")
    with pytest.raises(openai.BadRequestError) as raised:
        users.create(project_id, user_id=BOB["id"], role="owner")
    assert "already a member" in raised.value.message


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"user_id": BOB["id"]}, "role"),
        ({"user_id": BOB["id"], "role": "admin"}, "role"),
        ({"role": "member"}, "user_id"),
        ({"user_id": BOB["id"], "role": "member", "team": "x"}, "team"),
    ],
)
def test_add_user_rejects_bad_bodies(
    conforming_admin_http: httpx2.Client, project_id: str, body: dict[str, Any], param: str
) -> None:
    response = conforming_admin_http.post(f"organization/projects/{project_id}/users", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_default_project_lists_the_organization_owner(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI
) -> None:
    default_id = sandbox.app.state.sandbox.default_project_id
    users = list(conforming_admin_client.admin.organization.projects.users.list(default_id))
    assert [(u.id, u.role) for u in users] == [(sandbox.app.state.sandbox.owner_user_id, "owner")]


def test_group_access_with_a_role(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    projects = conforming_admin_client.admin.organization.projects
    added = projects.groups.create(project_id, group_id=SUPPORT_GROUP["id"], role="member")
    assert (added.group_name, added.project_id, added.group_type) == (
        "Support Team",
        project_id,
        "group",
    )
    listed = projects.groups.list(project_id)
    assert [g.group_id for g in listed.data] == [SUPPORT_GROUP["id"]] and listed.next is None
    assert projects.groups.retrieve(SUPPORT_GROUP["id"], project_id=project_id).group_id
    roles = projects.groups.roles.list(SUPPORT_GROUP["id"], project_id=project_id)
    assert [r.name for r in roles] == ["member"]

    removed = projects.groups.delete(SUPPORT_GROUP["id"], project_id=project_id)
    assert (removed.object, removed.deleted) == ("project.group.deleted", True)
    assert list(projects.groups.list(project_id)) == []
    types = [e["type"] for e in sandbox.app.state.sandbox.store.list("audit_log")]
    assert types[-2:] == ["role.assignment.created", "role.assignment.deleted"]


def test_group_errors(conforming_admin_client: openai.OpenAI, project_id: str) -> None:
    groups = conforming_admin_client.admin.organization.projects.groups
    with pytest.raises(openai.NotFoundError):
        groups.create(project_id, group_id="group_missing", role="member")
    with pytest.raises(openai.NotFoundError):
        groups.create(project_id, group_id=SUPPORT_GROUP["id"], role="role_missing")
    with pytest.raises(openai.NotFoundError):
        groups.retrieve(SUPPORT_GROUP["id"], project_id=project_id)


def test_custom_roles_and_assignments(
    sandbox: SandboxHandle, conforming_admin_client: openai.OpenAI, project_id: str
) -> None:
    projects = conforming_admin_client.admin.organization.projects
    predefined = [r.name for r in projects.roles.list(project_id)]
    assert predefined == ["owner", "member", "viewer"]

    role = projects.roles.create(
        project_id,
        role_name="Key Manager",
        permissions=["api.organization.projects.api_keys.read"],
        description="Manages keys",
    )
    assert (role.resource_type, role.predefined_role) == ("api.project", False)
    updated = projects.roles.update(
        role.id,
        project_id=project_id,
        permissions=[
            "api.organization.projects.api_keys.read",
            "api.organization.projects.api_keys.write",
        ],
    )
    assert len(updated.permissions) == 2
    assert projects.roles.retrieve(role.id, project_id=project_id).name == "Key Manager"

    assigned = projects.users.roles.create(BOB["id"], project_id=project_id, role_id=role.id)
    assert (assigned.object, assigned.user.id, assigned.role.id) == (
        "user.role",
        BOB["id"],
        role.id,
    )
    details = projects.users.roles.retrieve(role.id, project_id=project_id, user_id=BOB["id"])
    assert details.created_by == sandbox.app.state.sandbox.owner_user_id
    assert [r.id for r in projects.users.roles.list(BOB["id"], project_id=project_id)] == [role.id]
    gone = projects.users.roles.delete(role.id, project_id=project_id, user_id=BOB["id"])
    assert (gone.object, gone.deleted) == ("user.role.deleted", True)

    deleted = projects.roles.delete(role.id, project_id=project_id)
    assert (deleted.id, deleted.deleted) == (role.id, True)
    events = [e["type"] for e in sandbox.app.state.sandbox.store.list("audit_log")]
    assert events[-5:] == [
        "role.created",
        "role.updated",
        "role.assignment.created",
        "role.assignment.deleted",
        "role.deleted",
    ]


def test_role_errors(conforming_admin_client: openai.OpenAI, project_id: str) -> None:
    roles = conforming_admin_client.admin.organization.projects.roles
    with pytest.raises(openai.BadRequestError):
        roles.create(project_id, role_name="member", permissions=["api.model.read"])
    with pytest.raises(openai.BadRequestError):
        roles.create(project_id, role_name="Bad", permissions=["not a permission"])
    with pytest.raises(openai.BadRequestError):
        roles.delete("role_project_owner", project_id=project_id)
    with pytest.raises(openai.NotFoundError):
        roles.retrieve("role_missing", project_id=project_id)


def test_role_lists_page_with_next(conforming_admin_client: openai.OpenAI, project_id: str) -> None:
    roles = conforming_admin_client.admin.organization.projects.roles
    for index in range(3):
        roles.create(project_id, role_name=f"r{index}", permissions=["api.model.read"])
    page = roles.list(project_id, limit=2)
    assert len(page.data) == 2 and page.has_more and page.next == page.data[-1].id
    names = [r.name for r in roles.list(project_id, limit=2)]  # follows `next`
    assert names == ["owner", "member", "viewer", "r0", "r1", "r2"]
    assert [r.name for r in roles.list(project_id, order="desc", limit=1).data] == ["r2"]
