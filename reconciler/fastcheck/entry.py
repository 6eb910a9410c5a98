"""The command-line front door: `reconciler validate` without click when the stack is valid.

`main()` (the console script and `python -m reconciler`) first calls `try_fast_validate`: for
`validate [PATH] [--stack NAME]` on a clearly valid stack it prints exactly what the click
command prints (cached dataset warnings on stderr, then `PATH: valid.`) and exits 0. For any
other command line, or anything not clearly valid, it returns None and `reconciler.cli.main`
runs as usual. Like cli.py, this module writes to the terminal.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

from reconciler.fastcheck.stack import DatasetWarning, check_stack

# As reconciler.errors: the characters diagnostics show escaped, and the longest line read.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
EXCERPT_LINE_BYTES = 4096


def main() -> None:
    """The `reconciler` command: the fast path for valid stacks, else the click CLI."""
    try:
        code = try_fast_validate(sys.argv[1:])
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")  # as reconciler.cli.main
        sys.exit(130)
    if code is not None:
        sys.exit(code)
    from reconciler.cli import main as cli_main

    cli_main()


def try_fast_validate(argv: list[str]) -> int | None:
    """Exit code 0 after printing the success output when `argv` is a `validate` command
    line and the stack is clearly valid; None when the click command must run."""
    parsed = parse_validate_args(argv)
    if parsed is None:
        return None
    path, stack_name = parsed
    try:
        warnings = check_stack(Path(path), stack_name)
    except Exception:  # an unexpected case is not a clear pass: the slow path will explain
        return None
    if warnings is None or (warnings and _use_color()):
        return None
    out = [f"{Path(path)}: valid.\n"]
    err = [render_warnings(warnings) + "\n"] if warnings else []
    if any(_UNPRINTABLE.search(text) for text in out + err):
        return None  # `Diagnostic.render` escapes these characters, click.echo strips some
    sys.stderr.writelines(err)
    sys.stdout.writelines(out)
    return 0


def parse_validate_args(argv: list[str]) -> tuple[str, str | None] | None:
    """(PATH, --stack value) for `validate [PATH] [--stack NAME]` (either order, `--stack=NAME`
    too), None for anything else (other commands or options, --help, two paths)."""
    if not argv or argv[0] != "validate":
        return None
    paths: list[str] = []
    stack_name: str | None = None
    rest = iter(argv[1:])
    for arg in rest:
        if arg == "--stack":
            stack_name = next(rest, None)
            if stack_name is None:
                return None
        elif arg.startswith("--stack="):
            stack_name = arg.removeprefix("--stack=")
        elif arg.startswith("-"):
            return None
        else:
            paths.append(arg)
    if len(paths) > 1 or "" in paths:
        return None
    return (paths[0] if paths else "."), stack_name


def render_warnings(warnings: list[DatasetWarning]) -> str:
    """What `render_diagnostics(diagnostics, color=False)` prints for these warnings (the
    same text as `reconciler.errors.Diagnostics.render`, without importing it: a test
    compares the two)."""
    ordered = sorted(
        warnings,
        key=lambda w: (w.file, w.problem.line, w.problem.column, w.problem.message),
    )
    text = "\n\n".join(_render_warning(warning) for warning in ordered)
    return f"{text}\n\n0 error(s), {len(warnings)} warning(s)"


def _render_warning(warning: DatasetWarning) -> str:
    problem = warning.problem
    location = warning.file
    if problem.line > 0:
        location += f":{problem.line}" + (f":{problem.column}" if problem.column > 0 else "")
    code = f" [{problem.code}]" if problem.code else ""
    parts = [f"{location}: warning{code}: {problem.message}"]
    if problem.line > 0:
        parts.extend(_source_excerpt(warning.file, problem.line, problem.column))
    if problem.hint:
        parts.append(f"  hint: {problem.hint}")
    return "\n".join(parts)


def _source_excerpt(file: str, line: int, column: int) -> list[str]:
    """The line and one line either side, with a caret under the column."""
    lines = _read_lines(file, range(max(1, line - 1), line + 2))
    out = []
    width = len(str(max(lines, default=line)))
    for number, text in sorted(lines.items()):
        marker = ">" if number == line else " "
        at = column if number == line else 0
        # as `reconciler.errors.excerpt_window`: 200 characters around the column
        start = 0
        if len(text) > 200 and 0 < at <= len(text):
            start = max(0, min(at - 101, len(text) - 200))
        cut_before, cut_after = ("…" if start else ""), ("…" if start + 200 < len(text) else "")
        out.append(
            f"  {marker} {number:>{width}} | {cut_before}{text[start : start + 200]}{cut_after}"
        )
        if at > 0 and (len(text) <= 200 or at <= start + 200):
            out.append(f"    {' ' * width} | {' ' * (len(cut_before) + at - 1 - start)}^")
    return out


def _read_lines(file: str, wanted: range) -> dict[int, str]:
    """As `reconciler.errors._read_lines`: regular files only, lines cut at 4096 bytes."""
    found: dict[int, str] = {}
    try:
        if not stat.S_ISREG(os.stat(file).st_mode):
            return found
        with os.fdopen(os.open(file, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            for number in range(1, wanted.stop):
                text = handle.readline(EXCERPT_LINE_BYTES)
                if not text:
                    break
                if number in wanted:
                    found[number] = (
                        text.decode("utf-8", errors="replace").removesuffix("\n").removesuffix("\r")
                    )
                while not text.endswith(b"\n") and len(text) == EXCERPT_LINE_BYTES:
                    text = handle.readline(EXCERPT_LINE_BYTES)
    except OSError:
        return found
    return found


def _use_color() -> bool:
    """As `reconciler.cli._use_color`: coloured diagnostics need click.style, so fall back."""
    if os.environ.get("NO_COLOR"):
        return False
    return os.environ.get("FORCE_COLOR", "0") not in ("", "0") or sys.stdout.isatty()


if __name__ == "__main__":
    main()
