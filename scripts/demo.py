"""The README's "Try it yourself": fine-tune, evaluate, promote, against an embedded sandbox.

Run it with `make demo` (installs first) or `.venv/bin/python scripts/demo.py`. It starts the
OpenAI API sandbox in this process (in memory, so every run starts from an empty organization),
points the real CLI at it through OPENAI_BASE_URL and the keys, and runs each command as a user
would type it on the stack in `demo/`, printing the command and its output: 50 training and 10
held-out customer emails as Datasets, a FineTune, two EvalRuns (the fine-tuned model; the base
model with a detailed prompt) and a Promotion that picks one. The sandbox's clock runs at
SPEED × wall time, so the fine-tuning job ends within the half minute `apply --wait` polls at.
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
SPEED = 120.0  # sandbox seconds per wall second: the job ends between two of wait's 30 s polls
STEPS = [
    ("Show what would change (nothing exists yet)", ["plan", "demo"]),
    (
        "Apply it and wait for the fine-tuning job (CI would do this on merge)",
        ["apply", "demo", "--auto-approve", "--wait"],
    ),
    ("Plan again: the live state now matches Git", ["plan", "demo", "--detailed-exitcode"]),
    ("How the Promotion decided: accuracy and latency", ["show", "Promotion/triage-model", "demo"]),
    ("The promoted model, for the app or a CI step", ["output", "Promotion/triage-model", "demo"]),
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
    with running_sandbox(speed=SPEED) as sandbox:
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
    done = "\nDone: the fine-tuned model passed its gate and is promoted."
    click.secho(done, fg="green", bold=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
