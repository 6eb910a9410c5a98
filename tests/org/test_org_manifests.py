"""Offline checks of the organization kinds (issue 12): bad members and service accounts are
errors at their line, from `reconciler validate`, before any API call."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

HEAD = "apiVersion: reconciler/v1\nkind: {kind}\nmetadata: {{name: x}}\nspec:\n"


def validate(root: Path, kind: str, spec: str) -> tuple[int, str]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("stack: org\ndefault_project: proj_abc\n")
    (root / "x.yaml").write_text(HEAD.format(kind=kind) + spec)
    result = CliRunner().invoke(cli, ["validate", str(root)])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("kind", "spec"),
    [
        ("ProjectMember", "  email: a@example.com\n  role: member\n"),
        ("ServiceAccount", "  name: bot\n  key_sink: {file: secrets/bot.key}\n"),
        ("ServiceAccount", "  name: bot\n  key_sink: {file: /run/keys/bot.key}\n"),
        ("ServiceAccount", "  name: bot\n  role: owner\n  key_sink: {github_output: BOT_KEY}\n"),
    ],
)
def test_valid_members_and_accounts(tmp_path: Path, kind: str, spec: str) -> None:
    code, output = validate(tmp_path, kind, spec)
    assert code == 0, output


@pytest.mark.parametrize(
    ("kind", "spec", "words"),
    [
        ("ProjectMember", "  email: not-an-email\n  role: member\n", "email"),
        ("ProjectMember", "  email: a@example.com\n  role: admin\n", "role"),
        ("ProjectMember", "  email: a@example.com\n  role: member\n  user: x\n", "user"),
        ("ServiceAccount", "  name: bot\n", "key_sink"),
        ("ServiceAccount", "  name: bot\n  key_sink: {file: ../bot.key}\n", "key_sink"),
        ("ServiceAccount", "  name: bot\n  key_sink: {file: a/../../b.key}\n", "key_sink"),
        ("ServiceAccount", "  name: bot\n  key_sink: {}\n", "key_sink"),
        (
            "ServiceAccount",
            "  name: bot\n  key_sink: {file: a.key, github_output: K}\n",
            "key_sink",
        ),
        ("ServiceAccount", "  name: bot\n  key_sink: {github_output: 'A B'}\n", "key_sink"),
        ("ServiceAccount", "  name: bot\n  role: none\n  key_sink: {file: a.key}\n", "role"),
    ],
)
def test_bad_members_and_accounts_are_errors_at_their_line(
    tmp_path: Path, kind: str, spec: str, words: str
) -> None:
    code, output = validate(tmp_path, kind, spec)
    assert code == 1, output
    assert "x.yaml:" in output and words in output
