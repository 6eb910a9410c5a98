"""QA: what a new user hit (issue 13, "What a new user hit"), each through the real CLI."""

from __future__ import annotations

import pytest

from .e2e import Workspace

KINDS = "Batch, Dataset, FineTune, ModerationPolicy, Project, ProjectMember, ServiceAccount"


def test_an_unknown_kind_suggests_the_closest_kind_and_lists_them_all(ws: Workspace) -> None:
    (ws.specs / "member.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: ProjectUser\nmetadata: {name: ann}\n"
        "spec: {project: Project/support, email: ann@example.com, role: member}\n",
        encoding="utf-8",
    )

    result = ws.run("validate", "specs")

    assert result.exit_code == 1, result.output
    assert "member.yaml:2:7: error [unknown-kind]: unknown kind 'ProjectUser'" in result.output
    assert f"hint: did you mean 'ProjectMember'? (known kinds: {KINDS})" in result.output


def test_the_sandbox_of_a_stack_is_the_same_from_any_directory(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.env = {"OPENAI_API_KEY": "", "OPENAI_ADMIN_KEY": "", "OPENAI_BASE_URL": ""}
    applied = ws.run("apply", "specs", "--sandbox", "--auto-approve")
    assert applied.exit_code == 0, applied.output

    monkeypatch.chdir(ws.specs)
    again = ws.run("plan", ".", "--sandbox", "--detailed-exitcode")

    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout
    assert (ws.specs / ".reconciler" / "sandbox.sqlite3").is_file()
    assert not (ws.root / ".reconciler").exists()
