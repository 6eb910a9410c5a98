"""The sandbox's audit log: every organization mutation is recorded; filters and paging."""

from __future__ import annotations

import openai
import pytest
from test_admin_org import advance

from reconciler.sandbox import SandboxHandle
from reconciler.sandbox.admin.org_invites import ACCEPT_AFTER_SECONDS
from reconciler.sandbox.app import DEFAULT_PROJECT_ID, OWNER_USER_ID


@pytest.fixture
def admin(conforming_admin_client: openai.OpenAI) -> openai.OpenAI:
    return conforming_admin_client


def make_history(admin: openai.OpenAI, sandbox: SandboxHandle) -> dict[str, str]:
    """Five mutations ten sandbox seconds apart; returns the ids they touched."""
    org = admin.admin.organization
    ids = {"invite": org.invites.create(email="ada@example.com", role="reader").id}
    advance(sandbox, 10)
    ids["group"] = org.groups.create(name="Support").id
    advance(sandbox, 10)
    org.groups.update(ids["group"], name="Escalations")
    advance(sandbox, 10)
    ids["role"] = org.roles.create(role_name="Auditor", permissions=["api.audit_logs.read"]).id
    advance(sandbox, 10)
    ids["key"] = org.admin_api_keys.create(name="ci").id
    return ids


def types_of(page: object) -> list[str]:
    return [entry.type for entry in page]  # type: ignore[attr-defined]


def test_mutations_are_listed_newest_first_with_actor_and_details(
    admin: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    ids = make_history(admin, sandbox)
    logs = admin.admin.organization.audit_logs.list()
    assert types_of(logs) == [
        "api_key.created",
        "role.created",
        "group.updated",
        "group.created",
        "invite.sent",
    ]
    newest = logs.data[0]
    assert newest.api_key_created is not None and newest.api_key_created.id == ids["key"]
    assert newest.actor is not None and newest.actor.api_key is not None
    assert newest.actor.api_key.user is not None
    assert (newest.actor.api_key.user.id, newest.actor.api_key.user.email) == (
        OWNER_USER_ID,
        "owner@sandbox.example",
    )
    assert newest.project is not None and newest.project.id == DEFAULT_PROJECT_ID
    renamed = logs.data[2].group_updated
    assert renamed is not None and renamed.changes_requested is not None
    assert renamed.changes_requested.group_name == "Escalations"
    effective = [entry.effective_at for entry in logs]
    assert effective == sorted(effective, reverse=True)


def test_filters(admin: openai.OpenAI, sandbox: SandboxHandle) -> None:
    ids = make_history(admin, sandbox)
    audit = admin.admin.organization.audit_logs
    assert types_of(audit.list(event_types=["group.created", "group.updated"])) == [
        "group.updated",
        "group.created",
    ]
    assert types_of(audit.list(resource_ids=[ids["role"], ids["invite"]])) == [
        "role.created",
        "invite.sent",
    ]
    assert len(audit.list(actor_ids=[OWNER_USER_ID]).data) == 5
    assert len(audit.list(actor_ids=["key_sandboxadmin"]).data) == 5
    assert audit.list(actor_ids=["user-someone-else"]).data == []
    assert len(audit.list(actor_emails=["OWNER@sandbox.example"]).data) == 5
    assert len(audit.list(project_ids=[DEFAULT_PROJECT_ID]).data) == 5
    assert audit.list(project_ids=["proj_other"]).data == []
    at = {entry.type: entry.effective_at for entry in audit.list()}
    window = audit.list(effective_at={"gt": at["invite.sent"], "lte": at["group.updated"]})
    assert types_of(window) == ["group.updated", "group.created"]
    window = audit.list(effective_at={"gte": at["invite.sent"], "lt": at["group.created"]})
    assert types_of(window) == ["invite.sent"]


def test_paging_with_after_and_before(admin: openai.OpenAI, sandbox: SandboxHandle) -> None:
    make_history(admin, sandbox)
    audit = admin.admin.organization.audit_logs
    everything = [entry.id for entry in audit.list()]
    first = audit.list(limit=2)
    assert ([e.id for e in first.data], first.has_more) == (everything[:2], True)
    assert (first.first_id, first.last_id) == (everything[0], everything[1])
    assert [e.id for e in audit.list(limit=2)] == everything  # the SDK follows last_id
    middle = audit.list(after=everything[1], limit=2)
    assert ([e.id for e in middle.data], middle.has_more) == (everything[2:4], True)
    newer = audit.list(before=everything[3], limit=2)
    assert ([e.id for e in newer.data], newer.has_more) == (everything[1:3], True)
    assert audit.list(before=everything[0]).data == []


def test_accepted_invites_are_logged_by_the_invitee(
    admin: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    org = admin.admin.organization
    invite = org.invites.create(email="ada@example.com", role="reader")
    advance(sandbox, ACCEPT_AFTER_SECONDS + 30)
    org.groups.create(name="late")  # written before anyone reads the invite
    ada = org.users.list(emails=["ada@example.com"]).data[0]
    logs = org.audit_logs.list().data
    assert [e.type for e in logs] == ["group.created", "invite.accepted", "invite.sent"]
    accepted = logs[1]
    assert accepted.effective_at == invite.created_at + ACCEPT_AFTER_SECONDS
    assert accepted.actor is not None and accepted.actor.type == "session"
    assert accepted.actor.session is not None and accepted.actor.session.user is not None
    assert accepted.actor.session.user.id == ada.id
    assert [e.type for e in org.audit_logs.list(actor_emails=["ada@example.com"])] == [
        "invite.accepted"
    ]


def test_every_kind_of_mutation_is_logged(admin: openai.OpenAI, sandbox: SandboxHandle) -> None:
    org = admin.admin.organization
    invite = org.invites.create(email="ada@example.com", role="reader")
    org.invites.delete(invite.id)
    org.invites.create(email="bob@example.com", role="reader")
    advance(sandbox, ACCEPT_AFTER_SECONDS)
    bob = org.users.list(emails=["bob@example.com"]).data[0].id
    org.users.update(bob, role="owner")
    group = org.groups.create(name="g")
    org.groups.users.create(group.id, user_id=bob)
    org.groups.users.delete(bob, group_id=group.id)
    role = org.roles.create(role_name="r", permissions=["api.usage.read"])
    org.roles.update(role.id, permissions=["api.audit_logs.read"])
    org.users.roles.create(bob, role_id=role.id)
    org.users.roles.delete(role.id, user_id=bob)
    org.roles.delete(role.id)
    org.groups.delete(group.id)
    key = org.admin_api_keys.create(name="k")
    org.admin_api_keys.delete(key.id)
    org.users.delete(bob)
    logged = set(types_of(org.audit_logs.list(limit=100)))
    assert logged == {
        "invite.sent",
        "invite.deleted",
        "invite.accepted",
        "user.updated",
        "user.deleted",
        "group.created",
        "group.updated",
        "group.deleted",
        "role.created",
        "role.updated",
        "role.deleted",
        "role.assignment.created",
        "role.assignment.deleted",
        "api_key.created",
        "api_key.deleted",
    }
    updated = org.audit_logs.list(event_types=["role.updated"]).data[0].role_updated
    assert updated is not None and updated.changes_requested is not None
    assert updated.changes_requested.permissions_added == ["api.audit_logs.read"]
    assert updated.changes_requested.permissions_removed == ["api.usage.read"]
