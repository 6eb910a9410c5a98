"""Thin click commands: validate, plan, apply, drift, import, show, schema, sandbox.

Each command parses flags, calls one function of the core and hands the result to `render.py`.
Any `ReconcilerError` becomes a message and an exit code (1 for errors; 2 for changes present
with --detailed-exitcode and for drift); user errors never show a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler import __version__


class LazyGroup(click.Group):
    """Imports subcommand groups on first use, so `validate` never loads the SDK or the sandbox."""

    lazy = {"sandbox": ("reconciler.sandbox.cli", "sandbox_group")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, attr = self.lazy[name]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="reconciler")
def cli() -> None:
    """Manage OpenAI platform objects from YAML manifests in Git."""


def main() -> None:
    from reconciler.errors import ReconcilerError

    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code if exc.exit_code != 2 else 1)
    except ReconcilerError as exc:
        click.echo(str(exc), err=True)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)


_ = Path  # kept for commands added below
