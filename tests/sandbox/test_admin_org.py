"""Organization users and invites of the sandbox's Administration API, through the real SDK.

Also the error contract of every organization route: a project key gets the real 401, unknown
ids get 404, bad parameters get 400 naming the parameter.
"""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest

from reconciler.sandbox import SandboxHandle
from reconciler.sandbox.admin.org_invites import ACCEPT_AFTER_SECONDS

OWNER_EMAIL = "owner@sandbox.example"


def advance(sandbox: SandboxHandle, seconds: float) -> None:
    response = httpx2.post(f"{sandbox.control_url}/clock/advance", json={"seconds": seconds})
    response.raise_for_status()


def invite_and_accept(
    sandbox: SandboxHandle, client: openai.OpenAI, email: str, role: str = "reader", **extra: Any
) -> str:
    """Invite `email`, let the sandbox accept it, and return the new user's id."""
    client.admin.organization.invites.create(email=email, role=role, **extra)  # type: ignore[arg-type]
    advance(sandbox, ACCEPT_AFTER_SECONDS)
    users = client.admin.organization.users.list(emails=[email]).data
    assert [u.email for u in users] == [email]
    return users[0].id


@pytest.fixture
def admin(conforming_admin_client: openai.OpenAI) -> openai.OpenAI:
    return conforming_admin_client


# -- users ---------------------------------------------------------------------------------------


def test_the_seeded_owner_is_the_only_user(admin: openai.OpenAI, sandbox: SandboxHandle) -> None:
    users = admin.admin.organization.users.list()
    assert [(u.email, u.role) for u in users] == [(OWNER_EMAIL, "owner")]
    owner = admin.admin.organization.users.retrieve(users.data[0].id)
    assert owner.object == "organization.user"
    assert owner.id == sandbox.app.state.sandbox.owner_user_id


def test_users_page_with_after_and_filter_by_email(
    admin: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    emails = [f"dev{i}@example.com" for i in range(3)]
    for email in emails:
        admin.admin.organization.invites.create(email=email, role="reader")
    advance(sandbox, ACCEPT_AFTER_SECONDS)
    first = admin.admin.organization.users.list(limit=2)
    assert first.has_more is True
    assert len(first.data) == 2
    everyone = [u.email for u in admin.admin.organization.users.list(limit=2)]  # auto-paging
    assert everyone == [OWNER_EMAIL, *emails]
    chosen = admin.admin.organization.users.list(emails=["DEV2@example.com", emails[0]])
    assert sorted(u.email or "" for u in chosen) == [emails[0], emails[2]]


def test_update_role_and_keep_at_least_one_owner(
    admin: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    users = admin.admin.organization.users
    owner_id = sandbox.app.state.sandbox.owner_user_id
    with pytest.raises(openai.BadRequestError) as demote_last:
        users.update(owner_id, role="reader")
    assert demote_last.value.code == "last_owner"
    with pytest.raises(openai.BadRequestError):
        users.delete(owner_id)

    ada = invite_and_accept(sandbox, admin, "ada@example.com")
    assert users.update(ada, role="owner").role == "owner"
    assert users.update(owner_id, role="reader").role == "reader"
    assert users.retrieve(owner_id).role == "reader"


def test_delete_user_removes_it_and_its_group_memberships(
    admin: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    org = admin.admin.organization
    ada = invite_and_accept(sandbox, admin, "ada@example.com")
    group = org.groups.create(name="Support")
    org.groups.users.create(group.id, user_id=ada)
    deleted = org.users.delete(ada)
    assert (deleted.id, deleted.deleted, deleted.object) == (ada, True, "organization.user.deleted")
    assert [u.email for u in org.users.list()] == [OWNER_EMAIL]
    assert list(org.groups.users.list(group.id)) == []
    with pytest.raises(openai.NotFoundError):
        org.users.retrieve(ada)


def test_user_role_assignments(admin: openai.OpenAI, sandbox: SandboxHandle) -> None:
    org = admin.admin.organization
    ada = invite_and_accept(sandbox, admin, "ada@example.com")
    assert [r.name for r in org.users.roles.list(ada)] == ["reader"]  # the predefined role
    custom = org.roles.create(role_name="Auditor", permissions=["api.audit_logs.read"])
    assigned = org.users.roles.create(ada, role_id=custom.id)
    assert (assigned.object, assigned.user.id, assigned.role.id) == ("user.role", ada, custom.id)
    assert [r.name for r in org.users.roles.list(ada)] == ["reader", "Auditor"]
    assert org.users.roles.retrieve(custom.id, user_id=ada).permissions == ["api.audit_logs.read"]
    # assigning the predefined owner role is the same as changing the user's role
    org.users.roles.create(ada, role_id="role_org_owner")
    assert org.users.retrieve(ada).role == "owner"
    with pytest.raises(openai.BadRequestError):
        org.users.roles.delete("role_org_owner", user_id=ada)
    removed = org.users.roles.delete(custom.id, user_id=ada)
    assert (removed.object, removed.deleted) == ("user.role.deleted", True)
    with pytest.raises(openai.NotFoundError):
        org.users.roles.retrieve(custom.id, user_id=ada)


# -- invites -------------------------------------------------------------------------------------


def test_invite_is_pending_then_accepted_after_a_minute(
    admin: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    invites = admin.admin.organization.invites
    invite = invites.create(email="grace@example.com", role="owner")
    assert (invite.status, invite.accepted_at, invite.role) == ("pending", None, "owner")
    default_project = sandbox.app.state.sandbox.default_project_id
    assert [(p.id, p.role) for p in invite.projects] == [(default_project, "member")]
    advance(sandbox, ACCEPT_AFTER_SECONDS - 5)
    assert invites.retrieve(invite.id).status == "pending"
    assert [u.email for u in admin.admin.organization.users.list()] == [OWNER_EMAIL]
    advance(sandbox, 5)
    accepted = invites.retrieve(invite.id)
    assert accepted.status == "accepted"
    assert accepted.accepted_at == invite.created_at + ACCEPT_AFTER_SECONDS
    grace = admin.admin.organization.users.list(emails=["grace@example.com"]).data[0]
    assert (grace.name, grace.role, grace.added_at) == ("Grace", "owner", accepted.accepted_at)


def test_an_invite_to_an_invalid_domain_stays_pending_then_expires(
    admin: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    sandbox.app.state.sandbox.clock.set_speed(0)  # only `advance` moves it: no slow-machine drift
    invites = admin.admin.organization.invites
    invite = invites.create(email="nobody@example.invalid", role="reader", projects=[])
    assert invite.expires_at is not None
    advance(sandbox, invite.expires_at - invite.created_at - 1)
    assert invites.retrieve(invite.id).status == "pending"
    advance(sandbox, 1)
    assert invites.retrieve(invite.id).status == "expired"
    assert [u.email for u in admin.admin.organization.users.list()] == [OWNER_EMAIL]
    again = invites.create(email="nobody@example.invalid", role="reader", projects=[])
    assert again.status == "pending"


def test_accepted_invite_grants_its_project_memberships(
    admin: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    org = admin.admin.organization
    project = org.projects.create(name="Research")
    ada = invite_and_accept(
        sandbox, admin, "ada@example.com", projects=[{"id": project.id, "role": "owner"}]
    )
    members = {u.id: u.role for u in org.projects.users.list(project.id)}
    assert members[ada] == "owner"
    default_members = org.projects.users.list(sandbox.app.state.sandbox.default_project_id)
    assert ada not in {u.id for u in default_members}


def test_invite_with_no_projects_joins_none(admin: openai.OpenAI, sandbox: SandboxHandle) -> None:
    invite = admin.admin.organization.invites.create(
        email="solo@example.com", role="reader", projects=[]
    )
    assert invite.projects == []


def test_list_and_delete_invites(admin: openai.OpenAI, sandbox: SandboxHandle) -> None:
    invites = admin.admin.organization.invites
    first = invites.create(email="a@example.com", role="reader")
    advance(sandbox, ACCEPT_AFTER_SECONDS)
    second = invites.create(email="b@example.com", role="reader")
    assert [(i.id, i.status) for i in invites.list()] == [
        (first.id, "accepted"),
        (second.id, "pending"),
    ]
    assert [i.id for i in invites.list(limit=1, after=first.id)] == [second.id]
    deleted = invites.delete(second.id)
    assert (deleted.object, deleted.deleted) == ("organization.invite.deleted", True)
    with pytest.raises(openai.BadRequestError) as accepted:
        invites.delete(first.id)
    assert accepted.value.code == "invite_already_accepted"
    advance(sandbox, ACCEPT_AFTER_SECONDS)
    assert [u.email for u in admin.admin.organization.users.list()] == [
        OWNER_EMAIL,
        "a@example.com",
    ]


def test_cannot_invite_a_member_or_invite_twice(admin: openai.OpenAI) -> None:
    invites = admin.admin.organization.invites
    with pytest.raises(openai.BadRequestError) as member:
        invites.create(email=OWNER_EMAIL, role="reader")
    assert (member.value.param, member.value.code) == ("email", "user_already_exists")
    invites.create(email="twice@example.com", role="reader")
    with pytest.raises(openai.BadRequestError) as twice:
        invites.create(email="Twice@example.com", role="reader")
    assert twice.value.param == "email"


# -- the error contract of every organization route ----------------------------------------------

ROUTES_BY_METHOD = [
    ("GET", "organization/users"),
    ("GET", "organization/invites"),
    ("POST", "organization/invites"),
    ("GET", "organization/groups"),
    ("GET", "organization/roles"),
    ("GET", "organization/admin_api_keys"),
    ("GET", "organization/audit_logs"),
    ("GET", "organization/usage/completions?start_time=0"),
    ("GET", "organization/costs?start_time=0"),
]


@pytest.mark.parametrize(("method", "url"), ROUTES_BY_METHOD)
def test_a_project_key_gets_401(conforming_http: httpx2.Client, method: str, url: str) -> None:
    response = conforming_http.request(method, url, json={} if method == "POST" else None)
    assert response.status_code == 401
    assert "Missing scopes: api.management.read" in response.json()["error"]["message"]


def test_a_project_key_through_the_sdk_gets_an_authentication_error(
    sandbox: SandboxHandle,
) -> None:
    with (
        openai.OpenAI(
            api_key=sandbox.project_key,
            admin_api_key=sandbox.project_key,
            base_url=sandbox.base_url,
            max_retries=0,
        ) as client,
        pytest.raises(openai.AuthenticationError),
    ):
        client.admin.organization.users.list()


UNKNOWN_IDS = [
    ("GET", "organization/users/user-nope"),
    ("POST", "organization/users/user-nope"),
    ("DELETE", "organization/users/user-nope"),
    ("GET", "organization/users/user-nope/roles"),
    ("GET", "organization/invites/invite-nope"),
    ("DELETE", "organization/invites/invite-nope"),
    ("GET", "organization/groups/group_nope"),
    ("POST", "organization/groups/group_nope"),
    ("DELETE", "organization/groups/group_nope"),
    ("GET", "organization/groups/group_nope/users"),
    ("GET", "organization/groups/group_nope/roles"),
    ("GET", "organization/roles/role_nope"),
    ("POST", "organization/roles/role_nope"),
    ("DELETE", "organization/roles/role_nope"),
    ("GET", "organization/admin_api_keys/key_nope"),
    ("DELETE", "organization/admin_api_keys/key_nope"),
]


@pytest.mark.parametrize(("method", "url"), UNKNOWN_IDS)
def test_unknown_ids_get_404(conforming_admin_http: httpx2.Client, method: str, url: str) -> None:
    body = {"name": "x"} if method == "POST" else None
    response = conforming_admin_http.request(method, url, json=body)
    assert response.status_code == 404
    assert "nope" in response.json()["error"]["message"]


BAD_REQUESTS = [
    ("POST", "organization/invites", {"email": "x@example.com"}, "role"),
    ("POST", "organization/invites", {"email": "x@example.com", "role": "admin"}, "role"),
    ("POST", "organization/invites", {"email": "not-an-email", "role": "reader"}, "email"),
    ("POST", "organization/invites", {"email": "x@example.com", "role": "reader", "x": 1}, "x"),
    (
        "POST",
        "organization/invites",
        {
            "email": "x@example.com",
            "role": "reader",
            "projects": [{"id": "proj_nope", "role": "member"}],
        },
        "projects[0].id",
    ),
    (
        "POST",
        "organization/invites",
        {"email": "x@example.com", "role": "reader", "projects": [{"id": "p"}]},
        "projects[0].role",
    ),
    ("POST", "organization/groups", {}, "name"),
    ("POST", "organization/groups", {"name": ""}, "name"),
    ("POST", "organization/groups", {"name": "x" * 256}, "name"),
    ("POST", "organization/roles", {"role_name": "r"}, "permissions"),
    ("POST", "organization/roles", {"role_name": "r", "permissions": ["Not OK"]}, "permissions[0]"),
    ("POST", "organization/roles", {"role_name": "owner", "permissions": []}, "role_name"),
    ("POST", "organization/admin_api_keys", {}, "name"),
    (
        "POST",
        "organization/admin_api_keys",
        {"name": "k", "expires_in_seconds": 31_536_001},
        "expires_in_seconds",
    ),
    ("GET", "organization/groups?limit=1001", None, "limit"),
    ("GET", "organization/groups?order=sideways", None, "order"),
    ("GET", "organization/users?limit=0", None, "limit"),
    ("GET", "organization/audit_logs?event_types[]=nope.happened", None, "event_types"),
    ("GET", "organization/audit_logs?effective_at[gt]=soon", None, "effective_at[gt]"),
    ("GET", "organization/usage/completions", None, "start_time"),
    ("GET", "organization/usage/completions?start_time=x", None, "start_time"),
    ("GET", "organization/usage/completions?start_time=0&bucket_width=1w", None, "bucket_width"),
    ("GET", "organization/usage/completions?start_time=0&limit=32", None, "limit"),
    ("GET", "organization/usage/completions?start_time=0&group_by[]=colour", None, "group_by"),
    ("GET", "organization/usage/completions?start_time=0&batch=maybe", None, "batch"),
    ("GET", "organization/usage/embeddings?start_time=0&group_by[]=batch", None, "group_by"),
    ("GET", "organization/costs?start_time=0&bucket_width=1h", None, "bucket_width"),
    ("GET", "organization/costs?start_time=0&page=%25%25", None, "page"),
]


@pytest.mark.parametrize(("method", "url", "body", "param"), BAD_REQUESTS)
def test_bad_parameters_get_400_naming_the_parameter(
    conforming_admin_http: httpx2.Client, method: str, url: str, body: Any, param: str
) -> None:
    response = conforming_admin_http.request(method, url, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)


def test_user_update_rejects_an_unknown_role(admin: openai.OpenAI, sandbox: SandboxHandle) -> None:
    owner_id = sandbox.app.state.sandbox.owner_user_id
    with pytest.raises(openai.BadRequestError) as bad:
        admin.admin.organization.users.update(owner_id, role="admin")
    assert bad.value.param == "role"
