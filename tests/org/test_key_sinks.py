"""Where a service-account key may go (`providers/key_sinks.py`): a 0600 file inside the stack
or at an absolute path, a masked GitHub output; refused before any key exists otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.providers.key_sinks import check_sink, deliver_key

KEY = "sk-svcacct-" + "x" * 40


def test_a_file_sink_is_written_with_mode_0600_and_its_new_folder_is_git_ignored(
    tmp_path: Path,
) -> None:
    sink = {"file": "secrets/deep/bot.key"}
    check_sink(sink, tmp_path)
    where = deliver_key(sink, KEY, tmp_path)
    path = tmp_path / "secrets" / "deep" / "bot.key"
    assert path.read_text() == KEY + "\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secrets").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "secrets" / ".gitignore").read_text() == "*\n"
    assert KEY not in where
    assert sorted(p.name for p in path.parent.iterdir()) == ["bot.key"]  # no temporary left


def test_a_new_key_replaces_the_old_file_atomically(tmp_path: Path) -> None:
    (tmp_path / "bot.key").write_text("old")
    (tmp_path / "bot.key").chmod(0o644)
    deliver_key({"file": "bot.key"}, KEY, tmp_path)
    assert (tmp_path / "bot.key").read_text() == KEY + "\n"
    assert (tmp_path / "bot.key").stat().st_mode & 0o777 == 0o600


def test_an_absolute_path_is_the_users_choice(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "bot.key"
    deliver_key({"file": str(target)}, KEY, tmp_path / "stack")
    assert target.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "elsewhere" / ".gitignore").exists()  # outside the stack


def test_a_relative_path_escaping_through_a_symlink_is_refused(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "out").symlink_to(tmp_path)
    with pytest.raises(ConfigError, match="outside the stack's folder"):
        check_sink({"file": "out/bot.key"}, stack)


def test_a_github_output_sink_needs_github_actions(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GITHUB_OUTPUT is not set"):
        check_sink({"github_output": "BOT"}, tmp_path, environ={})


def test_a_github_output_is_masked_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out"
    output.write_text("A=1\n")
    deliver_key({"github_output": "BOT"}, KEY, tmp_path, environ={"GITHUB_OUTPUT": str(output)})
    assert output.read_text() == f"A=1\nBOT={KEY}\n"
    assert capsys.readouterr().out == f"::add-mask::{KEY}\n"
