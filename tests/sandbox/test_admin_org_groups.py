"""Organization groups (with members and roles) and custom roles, through the real SDK."""

from __future__ import annotations

import openai
import pytest
from test_admin_org import invite_and_accept

from reconciler.sandbox import SandboxHandle
from reconciler.sandbox.app import OWNER_USER_ID


@pytest.fixture
def admin(conforming_admin_client: openai.OpenAI) -> openai.OpenAI:
    return conforming_admin_client


def test_group_create_retrieve_rename_delete(admin: openai.OpenAI) -> None:
    groups = admin.admin.organization.groups
    group = groups.create(name="Support")
    assert (group.name, group.is_scim_managed) == ("Support", False)
    assert groups.retrieve(group.id).name == "Support"
    renamed = groups.update(group.id, name="Escalations")
    assert (renamed.id, renamed.name) == (group.id, "Escalations")
    assert groups.retrieve(group.id).name == "Escalations"
    deleted = groups.delete(group.id)
    assert (deleted.object, deleted.id, deleted.deleted) == ("group.deleted", group.id, True)
    with pytest.raises(openai.NotFoundError):
        groups.retrieve(group.id)


def test_groups_page_with_the_next_cursor(admin: openai.OpenAI) -> None:
    groups = admin.admin.organization.groups
    created = [groups.create(name=f"team-{i}").id for i in range(5)]
    first = groups.list(limit=2)
    assert ([g.id for g in first.data], first.has_more, first.next) == (
        created[:2],
        True,
        created[1],
    )
    assert [g.id for g in groups.list(limit=2)] == created  # the SDK follows `next`
    assert [g.id for g in groups.list(order="desc", limit=3).data] == created[::-1][:3]
    last = groups.list(after=created[3])
    assert ([g.id for g in last.data], last.has_more, last.next) == ([created[4]], False, None)


def test_group_members_add_list_retrieve_remove(
    admin: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    org = admin.admin.organization
    ada = invite_and_accept(sandbox, admin, "ada@example.com")
    owner = sandbox.app.state.sandbox.owner_user_id
    group = org.groups.create(name="Support")
    added = org.groups.users.create(group.id, user_id=ada)
    assert (added.object, added.group_id, added.user_id) == ("group.user", group.id, ada)
    org.groups.users.create(group.id, user_id=owner)
    org.groups.users.create(group.id, user_id=ada)  # adding again changes nothing
    members = list(org.groups.users.list(group.id))
    assert [m.id for m in members] == [owner, ada]  # newest first by default
    assert [m.id for m in org.groups.users.list(group.id, order="asc")] == [ada, owner]
    member = org.groups.users.retrieve(ada, group_id=group.id)
    assert (member.email, member.is_service_account, member.user_type) == (
        "ada@example.com",
        False,
        "user",
    )
    removed = org.groups.users.delete(ada, group_id=group.id)
    assert (removed.object, removed.deleted) == ("group.user.deleted", True)
    assert [m.id for m in org.groups.users.list(group.id)] == [owner]
    with pytest.raises(openai.NotFoundError):
        org.groups.users.retrieve(ada, group_id=group.id)
    with pytest.raises(openai.NotFoundError) as unknown:
        org.groups.users.create(group.id, user_id="user-nope")
    assert unknown.value.param == "user_id"


def test_group_role_assignments(admin: openai.OpenAI) -> None:
    org = admin.admin.organization
    group = org.groups.create(name="Support")
    role = org.roles.create(role_name="Group Manager", permissions=["api.groups.write"])
    assigned = org.groups.roles.create(group.id, role_id=role.id)
    assert assigned.object == "group.role"
    assert (assigned.group.id, assigned.group.name, assigned.role.id) == (
        group.id,
        "Support",
        role.id,
    )
    listed = org.groups.roles.list(group.id)
    assert ([r.id for r in listed.data], listed.has_more) == ([role.id], False)
    details = org.groups.roles.retrieve(role.id, group_id=group.id)
    assert (details.name, details.predefined_role, details.created_by) == (
        "Group Manager",
        False,
        OWNER_USER_ID,
    )
    removed = org.groups.roles.delete(role.id, group_id=group.id)
    assert (removed.object, removed.deleted) == ("group.role.deleted", True)
    assert list(org.groups.roles.list(group.id)) == []
    with pytest.raises(openai.NotFoundError):
        org.groups.roles.retrieve(role.id, group_id=group.id)
    with pytest.raises(openai.NotFoundError):
        org.groups.roles.create(group.id, role_id="role_nope")


# -- roles ---------------------------------------------------------------------------------------


def test_roles_list_predefined_then_custom(admin: openai.OpenAI) -> None:
    roles = admin.admin.organization.roles
    assert [(r.name, r.predefined_role) for r in roles.list()] == [
        ("owner", True),
        ("reader", True),
    ]
    custom = roles.create(
        role_name="Auditor", permissions=["api.audit_logs.read"], description="Reads logs"
    )
    assert (custom.object, custom.resource_type, custom.description) == (
        "role",
        "api.organization",
        "Reads logs",
    )
    assert [r.name for r in roles.list()] == ["owner", "reader", "Auditor"]
    assert [r.name for r in roles.list(order="desc", limit=1).data] == ["Auditor"]
    assert roles.retrieve(custom.id).permissions == ["api.audit_logs.read"]


def test_update_and_delete_a_custom_role(admin: openai.OpenAI) -> None:
    org = admin.admin.organization
    role = org.roles.create(role_name="Auditor", permissions=["api.audit_logs.read"])
    updated = org.roles.update(
        role.id, role_name="Usage auditor", permissions=["api.usage.read", "api.audit_logs.read"]
    )
    assert (updated.name, updated.permissions, updated.description) == (
        "Usage auditor",
        ["api.usage.read", "api.audit_logs.read"],
        None,
    )
    group = org.groups.create(name="Finance")
    org.groups.roles.create(group.id, role_id=role.id)
    deleted = org.roles.delete(role.id)
    assert (deleted.object, deleted.id, deleted.deleted) == ("role.deleted", role.id, True)
    assert list(org.groups.roles.list(group.id)) == []  # its assignments went with it
    with pytest.raises(openai.NotFoundError):
        org.roles.retrieve(role.id)


@pytest.mark.parametrize("role_id", ["role_org_owner", "role_org_reader"])
def test_predefined_roles_cannot_change(admin: openai.OpenAI, role_id: str) -> None:
    roles = admin.admin.organization.roles
    with pytest.raises(openai.BadRequestError):
        roles.update(role_id, description="mine now")
    with pytest.raises(openai.BadRequestError):
        roles.delete(role_id)
    assert roles.retrieve(role_id).predefined_role is True


def test_role_names_are_unique(admin: openai.OpenAI) -> None:
    roles = admin.admin.organization.roles
    first = roles.create(role_name="Auditor", permissions=[])
    second = roles.create(role_name="Reviewer", permissions=[])
    with pytest.raises(openai.BadRequestError) as taken:
        roles.update(second.id, role_name="auditor")
    assert (taken.value.param, taken.value.code) == ("role_name", "role_name_taken")
    assert roles.update(first.id, role_name="Auditor").name == "Auditor"  # its own name is fine
