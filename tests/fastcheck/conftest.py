"""Fixtures for the fast-path tests: run `validate` both ways on the same folder and compare."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.fastcheck.entry import try_fast_validate

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"


class Outcome:
    """What a `validate` run printed and returned; `code` None means "fast path declined"."""

    def __init__(self, code: int | None, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr

    def __repr__(self) -> str:
        return f"Outcome({self.code}, {self.stdout!r}, {self.stderr[:300]!r})"


def slow_validate(args: list[str]) -> Outcome:
    """The click command (the source of truth), in this process."""
    result = CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr)


def fast_validate(args: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    capsys.readouterr()
    code = try_fast_validate(["validate", *args])
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in tmp_path, so diagnostics show short relative paths."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def demo(in_tmp: Path) -> Path:
    """A copy of specs/ in the working directory (validate caches under its .reconciler/)."""
    return Path(shutil.copytree(SPECS, in_tmp / "specs"))


def chat_lines(count: int, start: int = 0) -> list[str]:
    return [
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"Question {n}?"},
                    {"role": "assistant", "content": f"Answer {n}."},
                ]
            }
        )
        for n in range(start, start + count)
    ]
