"""The entry point: which command lines take the fast path, what they import and print.

The import checks run in a fresh interpreter (this test process has already imported the SDK
through tests/conftest.py).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.fastcheck.entry import parse_validate_args, try_fast_validate

from .conftest import fast_validate, slow_validate

HEAVY = ["openai", "pydantic", "pydantic_core", "ruamel", "tiktoken", "click", "orjson", "rich"]
SLOW_PARTS = ["reconciler.manifests", "reconciler.models", "reconciler.datasets", "reconciler.cli"]


@pytest.mark.parametrize(
    ("argv", "parsed"),
    [
        (["validate"], (".", None)),
        (["validate", "specs"], ("specs", None)),
        (["validate", "specs", "--stack", "demo"], ("specs", "demo")),
        (["validate", "--stack", "demo", "specs"], ("specs", "demo")),
        (["validate", "--stack=demo"], (".", "demo")),
        (["validate", "--stack", "a", "--stack", "b"], (".", "b")),
        (["validate", "--stack"], None),
        (["validate", "--help"], None),
        (["validate", "-h"], None),
        (["validate", "a", "b"], None),
        (["validate", ""], None),
        (["validate", "--", "specs"], None),
        (["plan", "specs"], None),
        (["--version"], None),
        ([], None),
    ],
)
def test_only_plain_validate_command_lines_are_parsed(
    argv: list[str], parsed: tuple[str, str | None] | None
) -> None:
    assert parse_validate_args(argv) == parsed


def test_other_commands_are_left_to_click(demo: Path) -> None:
    slow_validate(["specs"])

    assert try_fast_validate(["plan", "specs"]) is None
    assert try_fast_validate(["validate", "specs", "--help"]) is None
    assert try_fast_validate(["validate", "no-such-folder"]) is None


def test_warnings_in_colour_are_left_to_click(
    demo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_validate(["specs"])  # the demo datasets have warnings (few examples)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert try_fast_validate(["validate", "specs"]) is None
    monkeypatch.setenv("NO_COLOR", "1")
    assert try_fast_validate(["validate", "specs"]) == 0


@pytest.mark.parametrize("terminal", [True, False])
@pytest.mark.parametrize("no_color", [None, "1"])
def test_colour_is_decided_as_the_click_command_decides(
    terminal: bool, no_color: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler import cli
    from reconciler.fastcheck import entry

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return terminal

    monkeypatch.setattr(sys, "stdout", Stream())
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)

    assert entry._use_color() is cli._use_color()


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )


def test_the_fast_path_imports_nothing_heavy(demo: Path) -> None:
    slow_validate(["specs"])
    code = (
        "import sys\n"
        "from reconciler.fastcheck.entry import try_fast_validate\n"
        "code = try_fast_validate(['validate', 'specs'])\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}\n"
        f"    or any(m.startswith(part) for part in {SLOW_PARTS!r}))\n"
        "print(code, loaded, file=sys.stderr)\n"
    )

    result = run_python(code, demo.parent)

    assert result.stderr.splitlines()[-1] == "0 []"
    assert result.stdout == "specs: valid.\n"


def test_main_runs_the_click_cli_when_the_fast_path_declines(demo: Path) -> None:
    code = "import sys; sys.argv[1:] = {!r}; from reconciler.fastcheck.entry import main; main()"

    version = run_python(code.format(["--version"]), demo.parent)
    cold = run_python(code.format(["validate", "specs"]), demo.parent)  # empty cache: click
    warm = run_python(code.format(["validate", "specs"]), demo.parent)

    assert version.stdout.startswith("reconciler, version")
    assert cold.stdout == warm.stdout == "specs: valid.\n"
    assert cold.stderr == warm.stderr != ""


def test_the_success_output_matches_the_command(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = slow_validate(["specs/"])
    fast = fast_validate(["specs/"], capsys)

    assert fast.code == 0
    assert fast.stdout == slow.stdout == "specs: valid.\n"
    assert fast.stderr == slow.stderr


def test_the_fast_path_escapes_and_reads_excerpts_as_diagnostics_do() -> None:
    from reconciler import errors
    from reconciler.fastcheck import entry

    assert entry._UNPRINTABLE.pattern == errors._UNPRINTABLE.pattern
    assert entry.EXCERPT_LINE_BYTES == errors.EXCERPT_LINE_BYTES
