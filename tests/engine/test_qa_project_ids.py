"""QA: a `default_project: proj_...` id that names no active project is a located error.

It used to pass `plan` (a stack that manages projects planned uploads into it, which `apply`
then failed) or fail with the bare 404 of a file listing (a stack of datasets only).
"""

from __future__ import annotations

from .e2e import Workspace

WHERE = "specs/reconciler.yaml:2:18: error: default_project: proj_nope is not an active project"


def use_default_project(ws: Workspace, value: str) -> None:
    (ws.specs / "reconciler.yaml").write_text(
        f"stack: demo\ndefault_project: {value}\n", encoding="utf-8"
    )


def test_an_unknown_default_project_id_is_an_error_at_its_line(ws: Workspace) -> None:
    use_default_project(ws, "proj_nope")
    result = ws.run("plan", "specs")
    assert result.exit_code == 1, result.output
    assert WHERE in result.stderr
    assert "hint: give the id of an active project" in result.stderr


def test_a_stack_of_datasets_only_gets_an_error_at_the_same_line(ws: Workspace) -> None:
    """Without an admin key the projects are not read; the API key is refused in proj_nope."""
    (ws.specs / "project.yaml").unlink()
    use_default_project(ws, "proj_nope")
    ws.env["OPENAI_ADMIN_KEY"] = ""  # a stack of datasets needs no admin key
    result = ws.run("plan", "specs")
    assert result.exit_code == 1, result.output
    assert (
        "specs/reconciler.yaml:2:18: error: default_project: proj_nope is not the project of "
        "OPENAI_API_KEY"
    ) in result.stderr
    assert "project_keys" in result.stderr
    assert "HTTP 40" not in result.stderr


def test_a_known_default_project_id_plans_uploads_into_it(ws: Workspace) -> None:
    (ws.specs / "project.yaml").unlink()
    default = "proj_sandboxdefault0000000000"
    use_default_project(ws, default)
    ws.env["OPENAI_ADMIN_KEY"] = ""
    result = ws.run("plan", "specs")
    assert result.exit_code == 0, result.output
    assert f'+ spec.project: "{default}"' in result.stdout
