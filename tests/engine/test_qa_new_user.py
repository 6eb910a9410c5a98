"""QA: what a new user hit (issue 13, "What a new user hit"), each through the real CLI."""

from __future__ import annotations

import json
import subprocess

import openai
import pytest

from reconciler.models import KINDS as KIND_REGISTRY

from .e2e import Workspace, active_projects

KINDS = ", ".join(sorted(KIND_REGISTRY))


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


@pytest.mark.parametrize(
    ("kind_line", "error"),
    [
        ("", "member.yaml:1:1: error: missing required field 'kind'"),
        ("kind: 3\n", "member.yaml:2:7: error: kind: expected a string, got a number (3)"),
    ],
)
def test_a_missing_or_odd_kind_lists_the_kinds_too(
    ws: Workspace, kind_line: str, error: str
) -> None:
    (ws.specs / "member.yaml").write_text(
        f"apiVersion: reconciler/v1\n{kind_line}metadata: {{name: ann}}\nspec: {{}}\n",
        encoding="utf-8",
    )

    result = ws.run("validate", "specs")

    assert result.exit_code == 1, result.output
    assert error in result.output
    assert f"known kinds: {KINDS}" in result.output


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


@pytest.mark.parametrize(
    ("args", "env", "colored"),
    [
        ((), {}, False),  # not a terminal
        ((), {"FORCE_COLOR": "1"}, True),
        (("--no-color",), {"FORCE_COLOR": "1"}, False),
        (("--no-color", "plan"), {"FORCE_COLOR": "1"}, False),  # before the command, too
        ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ((), {"FORCE_COLOR": "0"}, False),
    ],
)
def test_colors_follow_no_color_force_color_and_the_flag(
    ws: Workspace, args: tuple[str, ...], env: dict[str, str], colored: bool
) -> None:
    ws.env = {**ws.env, **env}
    command = list(args) if "plan" in args else ["plan", *args]

    result = ws.run(*command, "specs")

    assert result.exit_code == 0, result.output
    assert ("\x1b[" in result.stdout) is colored


@pytest.mark.parametrize(("flag", "colored"), [((), True), (("--no-color",), False)])
def test_apply_progress_follows_force_color_and_the_flag(
    ws: Workspace, flag: tuple[str, ...], colored: bool
) -> None:
    ws.env = {**ws.env, "FORCE_COLOR": "1"}

    result = ws.run("apply", "specs", "--auto-approve", *flag)

    assert result.exit_code == 0, result.output
    applying = result.stdout.partition("Applying:")[2]
    assert "Apply complete" in applying
    assert ("\x1b[" in applying) is colored


def test_the_local_folder_it_writes_is_ignored_by_git(ws: Workspace) -> None:
    subprocess.run(["git", "init", "-q", str(ws.root)], check=True)
    ws.env = {"OPENAI_API_KEY": "", "OPENAI_ADMIN_KEY": "", "OPENAI_BASE_URL": ""}

    planned = ws.run("plan", "specs", "--sandbox")  # the dataset cache and the sandbox state

    assert planned.exit_code == 0, planned.output
    local = ws.specs / ".reconciler"
    assert (local / "sandbox.sqlite3").is_file() and any((local / "cache").iterdir())
    assert (local / ".gitignore").read_text(encoding="utf-8").endswith("\n*\n")
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ws.root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "specs/datasets.yaml" in status
    assert ".reconciler" not in status


OPS = "apiVersion: reconciler/v1\nkind: Project\nmetadata: {name: ops}\nspec: {name: Ops}\n"


def test_archiving_a_project_is_printed_as_archived(ws: Workspace) -> None:
    (ws.specs / "ops.yaml").write_text(OPS, encoding="utf-8")
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    (ws.specs / "ops.yaml").unlink()

    result = ws.run("apply", "specs", "--auto-approve", "--allow-delete", "--allow-archive")

    assert result.exit_code == 0, result.output
    applying = result.stdout.partition("Applying:")[2]
    assert "  - Project/ops: archive…" in applying
    assert "  ✓ Project/ops: archived\n" in applying
    assert "deleted" not in applying


def test_an_adopted_project_whose_manifest_goes_is_left_as_it_is_and_said_so(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    existing = admin_client.admin.organization.projects.create(name="Ops")
    (ws.specs / "ops.yaml").write_text(OPS, encoding="utf-8")
    adopted = ws.run("apply", "specs", "--auto-approve")
    assert adopted.exit_code == 0, adopted.output
    assert "adopt live project 'Ops'" in adopted.stdout
    (ws.specs / "ops.yaml").unlink()

    planned = ws.run("plan", "specs", "--detailed-exitcode")

    assert planned.exit_code == 0, planned.output
    assert (
        f"Project/ops: no manifest declares it any more: Project 'Ops' ({existing.id}) was "
        "adopted, not created by stack 'demo', so it is left as it is and no longer managed"
    ) in planned.stdout
    applied = ws.run("apply", "specs", "--auto-approve", "--allow-delete", "--allow-archive")
    assert applied.exit_code == 0, applied.output
    assert [p.id for p in active_projects(admin_client, "Ops")] == [existing.id]


def _break_line(ws: Workspace, number: int, old: str, new: str) -> str:
    """Replace the first `old` after the system message of line `number` of support-train."""
    path = ws.specs / "data" / "support-train.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    head, _, tail = lines[number - 1].partition('{"role": "user"')
    lines[number - 1] = head + '{"role": "user"' + tail.replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")
    return lines[number - 1]


@pytest.mark.parametrize(
    ("old", "new", "code", "key"),
    [
        ('{"role": "assistant"', '{"role": "bot"', "unrecognized_role", '"role": "bot"'),
        ('"content": "', '"content": "", "x": "', "missing_content", '"content": ""'),
    ],
)
def test_a_dataset_problem_points_at_the_wrong_message_with_a_caret(
    ws: Workspace, old: str, new: str, code: str, key: str
) -> None:
    line = _break_line(ws, 3, old, new)
    column = line.index(key) + 1
    assert column > 200  # the system message comes first: a long line

    result = ws.run("validate", "specs")

    assert result.exit_code == 1, result.output
    header = f"support-train.jsonl:3:{column}: error [{code}]"
    assert header in result.output
    shown, caret = _excerpt_of(result.output.partition(header)[2], "> 3 | ")
    assert shown.startswith("…") and len(shown) <= 202
    assert shown[caret:].startswith(key)


def _excerpt_of(output: str, marker: str) -> tuple[str, int]:
    """The shown text of the excerpt line starting with `marker`, and the caret's offset in it."""
    lines = output.splitlines()
    at = next(i for i, text in enumerate(lines) if text.lstrip().startswith(marker))
    prefix = lines[at].index(marker) + len(marker)
    caret_line = lines[at + 1]
    assert caret_line.rstrip().endswith("^"), caret_line
    return lines[at][prefix:], caret_line.rstrip().index("^") - prefix


TYPO = "gpt-4.1-mni-2025-04-14"


def test_a_mistyped_model_is_warned_about_at_its_line_and_not_priced(ws: Workspace) -> None:
    ws.edit("datasets.yaml", lambda text: text.replace("gpt-4.1-mini-2025-04-14", TYPO, 1))
    line = next(
        number
        for number, text in enumerate((ws.specs / "datasets.yaml").read_text().splitlines(), 1)
        if TYPO in text
    )

    validated = ws.run("validate", "specs")

    assert validated.exit_code == 0, validated.output
    assert (
        f"datasets.yaml:{line}:10: warning [unknown-model]: spec.model: unknown model '{TYPO}'"
    ) in validated.output
    assert "hint: did you mean 'gpt-4.1-mini-2025-04-14'?" in validated.output
    assert "0 error(s), 2 warning(s)" in validated.output  # and few_examples of the other
    planned = ws.run("plan", "specs", "--format", "json")
    assert planned.exit_code == 0, planned.output
    assert "0 error(s), 2 warning(s)" in planned.stderr  # after the plan, as validate counts
    assert "did you mean 'gpt-4.1-mini-2025-04-14'?" in planned.stderr
    train = next(c for c in json.loads(planned.stdout)["changes"] if c["name"] == "support-train")
    details = json.dumps(train["details"])
    assert f"price for {TYPO}: no estimate" in details  # not the price of gpt-4.1
    assert "$" not in details


def test_an_invalid_dataset_blocks_itself_and_plan_counts_what_validate_counts(
    ws: Workspace,
) -> None:
    _break_line(ws, 5, '{"role": "assistant"', '{"role": "bot"')
    ws.edit("datasets.yaml", lambda text: text.replace("gpt-4.1-mini-2025-04-14", TYPO, 1))

    validated = ws.run("validate", "specs")
    planned = ws.run("plan", "specs")

    assert validated.exit_code == 1, validated.output
    counts = "2 error(s), 2 warning(s)"  # role, no assistant; unknown-model, few_examples
    assert counts in validated.output
    assert planned.exit_code == 1, planned.output
    assert counts in planned.stderr
    assert "support-train.jsonl:5:" in planned.stderr and "[unrecognized_role]" in planned.stderr
    assert "! Dataset/support-train  blocked" in planned.stdout
    assert "+ Dataset/support-valid" in planned.stdout and "+ Project/support" in planned.stdout
    assert "error: 1 resource(s) blocked" in planned.stderr
