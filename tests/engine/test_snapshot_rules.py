"""The incremental refresh's pure rules (providers/snapshot.py): which collection a GET reads,
which collections an audit entry touches, and the snapshot file's round trip."""

from __future__ import annotations

from reconciler.providers.snapshot import (
    FULL,
    Snapshot,
    admin_path,
    cache_key,
    collection_of,
    parse_duration,
    touched_by,
)


def test_a_get_is_named_by_its_collection_whatever_the_base_url() -> None:
    assert admin_path("/v1/organization/projects") == "/organization/projects"
    assert admin_path("/proxy/v1/organization/users") == "/organization/users"
    assert admin_path("/v1/files") is None
    assert collection_of("/organization/projects") == "projects"
    assert collection_of("/organization/projects/proj_a/users") == "project:proj_a:users"
    assert (
        collection_of("/organization/projects/proj_a/spend_limit") == "project:proj_a:spend_limit"
    )
    assert collection_of("/organization/users") == "org:users"
    assert cache_key("/organization/users", "limit=100&after=u2") == (
        "/organization/users?after=u2&limit=100"
    )


def test_an_audit_entry_touches_what_it_may_have_changed_and_unknown_ones_everything() -> None:
    assert touched_by("project.updated", "proj_a") == ("projects", "project:proj_a:*")
    assert "project:*:users" in touched_by("user.updated", "user-1")
    assert touched_by("rate_limit.updated", "rl-gpt-4.1") == ("project:*:rate_limits",)
    assert touched_by("login.succeeded", None) == ()
    assert touched_by("tenant.policy.created", "x") == (FULL,)
    assert touched_by("project.updated", None) == (FULL,)


def test_the_snapshot_file_round_trips_and_a_foreign_file_is_no_snapshot() -> None:
    snapshot = Snapshot(12.5, {"id": "audit_log-1", "at": 10}, {"/organization/users": {"a": 1}})
    assert Snapshot.from_bytes(snapshot.to_bytes()) == snapshot
    assert Snapshot.from_bytes(b"not json\n") is None
    assert Snapshot.from_bytes(b'{"format": 99, "taken_at": 1}\n') is None
    assert parse_duration("6h") == 21600 and parse_duration("2d") == 172800
