"""Plan renderers: snapshots of one plan with every action, in all three formats."""

from __future__ import annotations

import json

import pytest
from syrupy.assertion import SnapshotAssertion

from reconciler.plan import UNKNOWN, Action, FieldChange, Plan, ResourceChange
from reconciler.render import GITHUB_COMMENT_LIMIT, render_plan, render_plan_markdown


def _plan(**overrides: object) -> Plan:
    changes = (
        ResourceChange(
            address="Project/support",
            kind="Project",
            name="support",
            action=Action.UPDATE,
            reason="name differs",
            live_id="proj_abc",
            changes=(FieldChange(op="change", path="name", old="Support", new="TechCorp Support"),),
        ),
        ResourceChange(
            address="Dataset/support-train",
            kind="Dataset",
            name="support-train",
            action=Action.REPLACE,
            reason="content changed: sha256 3f2a9c1d… → 9b1c0e77…",
            live_id="file-old",
            changes=(
                FieldChange(
                    op="change",
                    path="sha256",
                    old="3f2a9c1d",
                    new="9b1c0e77",
                    forces_replace=True,
                ),
            ),
            details=("chat, 60 examples, 9,812 tokens",),
        ),
        ResourceChange(
            address="Dataset/support-valid",
            kind="Dataset",
            name="support-valid",
            action=Action.CREATE,
            reason="no live file has this content",
            changes=(
                FieldChange(op="add", path="purpose", new="fine-tune"),
                FieldChange(op="add", path="project", new=UNKNOWN),
            ),
        ),
        ResourceChange(
            address="Project/legacy",
            kind="Project",
            name="legacy",
            action=Action.DELETE,
            reason="owned by stack 'demo' and no longer declared",
            live_id="proj_old",
            irreversible=True,
            delete_verb="archive",
        ),
        ResourceChange(
            address="Project/ops",
            kind="Project",
            name="ops",
            action=Action.NOOP,
            reason="name is already 'Ops'",
            live_id="proj_ops",
        ),
        ResourceChange(
            address="ServiceAccount/bot",
            kind="ServiceAccount",
            name="bot",
            action=Action.CREATE,
            reason="new",
            changes=(FieldChange(op="add", path="api_key", new="sk-x", sensitive=True),),
        ),
    )
    fields: dict[str, object] = {
        "stack": "demo",
        "created_at": "2026-11-25T12:00:00Z",
        "manifests_path": "specs",
        "manifest_fingerprint": "m" * 8,
        "state_fingerprint": "s" * 8,
        "changes": changes,
        "requests": 3,
        "minimum_requests": 2,
    }
    fields.update(overrides)
    return Plan.model_validate(fields)


@pytest.mark.parametrize("fmt", ["human", "markdown", "json"])
def test_plan_snapshot(fmt: str, snapshot: SnapshotAssertion) -> None:
    assert render_plan(_plan(), fmt) == snapshot  # type: ignore[arg-type]


def test_no_changes_summary() -> None:
    text = render_plan(_plan(changes=()), "human")
    assert "No changes." in text


def test_secrets_never_rendered() -> None:
    plan = _plan()
    for fmt in ("human", "markdown", "json"):
        assert "sk-x" not in render_plan(plan, fmt)  # type: ignore[arg-type]


def test_json_shape_is_stable() -> None:
    data = json.loads(render_plan(_plan(), "json"))
    assert data["summary"] == {
        "create": 2,
        "update": 1,
        "replace": 1,
        "delete": 1,
        "noop": 1,
        "wait": 0,
        "blocked": 0,
    }
    assert data["changes"][0]["field_changes"][0]["path"] == "name"
    assert data["has_changes"] is True


def test_markdown_stays_under_github_limit() -> None:
    many = tuple(
        ResourceChange(
            address=f"Project/p{i}",
            kind="Project",
            name=f"p{i}",
            action=Action.CREATE,
            reason="new",
            changes=(FieldChange(op="add", path="name", new="x" * 100),),
        )
        for i in range(2000)
    )
    text = render_plan_markdown(_plan(changes=many))
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert "change(s) not shown in full" in text
    assert "2000 to create" in text
