"""Who changed a drifted object (reconciler/audit.py): actors in words, the ids an entry must
name, and the attribution of a drift report (pure: no API)."""

from __future__ import annotations

from reconciler.audit import AuditEntry, AuditLog, attribute, audit_ids, describe_actor
from reconciler.plan import Action, FieldChange, Plan, ResourceChange
from reconciler.render import render_plan


def test_an_actor_is_its_email_else_its_key_name_else_its_ids() -> None:
    user = {"type": "api_key", "api_key": {"id": "key_1", "user": {"id": "u", "email": "a@x"}}}
    assert describe_actor(user, {}) == "a@x"
    session = {"type": "session", "session": {"user": {"id": "u", "email": "b@x"}}}
    assert describe_actor(session, {}) == "b@x (dashboard)"
    admin_key = {"type": "api_key", "api_key": {"id": "key_2", "user": {"id": "u"}}}
    assert describe_actor(admin_key, {"key_2": "ci-bot"}) == "key 'ci-bot'"
    assert describe_actor(admin_key, {}) == "user u"
    account = {"api_key": {"id": "key_3", "service_account": {"id": "svc_9"}}}
    assert describe_actor(account, {}) == "service account svc_9 (key key_3)"
    assert describe_actor({}, {}) == "an unknown actor"


def _change(kind: str, live_id: str | None, *paths: str) -> ResourceChange:
    return ResourceChange(
        address=f"{kind}/x",
        kind=kind,
        name="x",
        action=Action.UPDATE if live_id else Action.CREATE,
        reason="r",
        live_id=live_id,
        changes=tuple(FieldChange(op="change", path=p, old=1, new=2) for p in paths),
    )


def test_the_ids_an_entry_names_are_the_object_and_its_rate_limits() -> None:
    assert audit_ids(_change("ProjectMember", "proj_a.user-1")) == {"user-1"}
    project = _change("Project", "proj_a", "spec.rate_limits.gpt-4.1.max_requests_per_1_minute")
    assert audit_ids(project) == {"proj_a", "rl-gpt-4.1"}
    assert audit_ids(_change("Project", "proj_a", "spec.rate_limits.o3")) == {"proj_a", "rl-o3"}
    assert audit_ids(_change("Project", None), "proj_gone") == {"proj_gone"}


def _plan(*changes: ResourceChange) -> Plan:
    return Plan(
        mode="drift",
        stack="s",
        created_at="t",
        manifests_path=".",
        manifest_fingerprint="m",
        state_fingerprint="s",
        changes=changes,
    )


def test_attribution_takes_the_newest_entries_naming_the_object_or_says_why_none() -> None:
    log = AuditLog(
        entries=(
            AuditEntry("3", "project.updated", 300, "b@x", "proj_a"),
            AuditEntry("2", "user.updated", 200, "c@x", "user-1"),
            AuditEntry("1", "project.created", 100, "a@x", "proj_a"),
        )
    )
    plan = _plan(
        _change("Project", "proj_a"),
        _change("Dataset", None),
        _change("ServiceAccount", "proj_a.svc_1"),
    )
    done = attribute(plan, log, data_plane={"Dataset"})
    project, dataset, account = (c.attribution for c in done.changes)
    assert project is not None and [e.actor for e in project.events] == ["b@x", "a@x"]
    assert dataset is not None and "data-plane" in (dataset.note or "")
    assert account is not None and "no entry" in (account.note or "")
    human = render_plan(done, "human")
    assert "changed by b@x: project.updated at 1970-01-01T00:05:00Z" in human
    assert "before that, a@x: project.created at 1970-01-01T00:01:40Z" in human

    off = attribute(plan, AuditLog(unavailable="audit logging is off"), data_plane={"Dataset"})
    assert all(
        c.attribution and c.attribution.note == "not known: audit logging is off"
        for c in off.changes
    )


def test_a_noop_gets_no_attribution_and_an_apply_plan_shows_none() -> None:
    noop = ResourceChange(
        address="Project/y", kind="Project", name="y", action=Action.NOOP, reason="r"
    )
    done = attribute(_plan(noop), AuditLog(), data_plane=())
    assert done.changes[0].attribution is None
    assert '"attribution"' not in render_plan(done, "json")
