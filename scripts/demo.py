"""The README demo: plan, apply, plan again on `specs/`, against a fresh embedded sandbox.

Run it with `make demo` (installs first) or `.venv/bin/python scripts/demo.py`. It starts the
OpenAI API sandbox in this process (in memory, so every run starts from an empty
organization), points the real CLI at it through OPENAI_BASE_URL and the keys, and runs each
command as a user would type it, printing the command and its output.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import click

from reconciler.cli import cli
from reconciler.sandbox import running_sandbox

ROOT = Path(__file__).resolve().parents[1]
STEPS = [
    ("Show what would change (nothing exists yet)", ["plan", "specs"]),
    ("Apply it (CI would do this on merge)", ["apply", "specs", "--auto-approve"]),
    ("Plan again: the live state now matches Git", ["plan", "specs", "--detailed-exitcode"]),
]


def run(arguments: list[str]) -> int:
    """Run `reconciler ARGS` in this process; its exit code."""
    click.secho(f"\n$ reconciler {shlex.join(arguments)}", bold=True)
    try:
        cli.main(arguments, prog_name="reconciler", standalone_mode=False)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def main() -> int:
    os.chdir(ROOT)
    with running_sandbox() as sandbox:
        os.environ.update(
            OPENAI_BASE_URL=sandbox.base_url,
            OPENAI_API_KEY=sandbox.project_key,
            OPENAI_ADMIN_KEY=sandbox.admin_key,
        )
        for name in ("OPENAI_PROJECT_ID", "OPENAI_ORG_ID"):
            os.environ.pop(name, None)
        click.secho(f"OpenAI API sandbox running at {sandbox.base_url} (in memory)", fg="cyan")
        for number, (title, arguments) in enumerate(STEPS, start=1):
            click.secho(f"\n== {number}. {title}", fg="cyan", bold=True)
            code = run(arguments)
            if code != 0:
                click.secho(f"step {number} exited with {code}", fg="red", err=True)
                return code
    click.secho("\nDone: the second plan found nothing to change.", fg="green", bold=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
