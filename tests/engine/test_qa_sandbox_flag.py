"""QA: `--sandbox` with a state file it cannot use says which file and what to do."""

from __future__ import annotations

from .e2e import Workspace


def test_a_corrupt_sandbox_state_file_is_named_with_the_fix(ws: Workspace) -> None:
    state = ws.specs / ".reconciler" / "sandbox.sqlite3"
    state.parent.mkdir()
    state.write_text("not a database\n", encoding="utf-8")
    ws.env = {"OPENAI_API_KEY": "", "OPENAI_ADMIN_KEY": "", "OPENAI_BASE_URL": ""}
    result = ws.run("plan", "specs", "--sandbox")
    assert result.exit_code == 1, result.output
    assert "error: the embedded sandbox cannot use its state file" in result.stderr
    assert "specs/.reconciler/sandbox.sqlite3 (file is not a database)" in result.stderr
    assert "delete it to start again from an empty sandbox" in result.stderr
