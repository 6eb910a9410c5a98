"""`reconciler output Kind/name [PATH]`: what an object produced, for scripts and CI.

Registered in `cli.LazyGroup.lazy`. `OUTPUTS` maps a kind to the function that reads its
output, `(stack, clients, address) -> (data, lines)`, imported only when used (today:
Promotion, `providers/promotion_output.py`). Prints the lines (`--format human`), the data as
JSON (`--format json`) or the model id alone (`--format model`, for `$(...)`); in GitHub Actions
(`$GITHUB_OUTPUT` set) it also appends the data's top-level scalars as step outputs, e.g.
`model=ft:gpt-4.1-mini:acme::x1`. No output recorded yet: exit 1 with what to do.
"""

from __future__ import annotations

import importlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import click

from reconciler import cli as commands
from reconciler.errors import ConfigError

OUTPUTS: dict[str, tuple[str, str]] = {
    "Promotion": ("reconciler.providers.promotion_output", "promotion_output"),
}


@click.command("output")
@click.argument("address", metavar="KIND/NAME")
@commands.path_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["human", "json", "model"]),
    default="human",
    show_default=True,
    help="human: lines; json: everything, for machines; model: the model id alone.",
)
@commands.sandbox_option
@commands.stack_option
def output_command(
    address: str, path: Path, fmt: str, use_sandbox: bool, stack_name: str | None
) -> None:
    """Print what KIND/NAME produced (a Promotion: its winning model, run and scores).

    In GitHub Actions, also writes the values to $GITHUB_OUTPUT (model=..., winner=...)."""
    kind, slash, name = address.partition("/")
    if not slash or not name or kind not in OUTPUTS:
        kinds = ", ".join(f"{k}/name" for k in OUTPUTS)
        raise ConfigError(f"output {address}: give one of {kinds}")
    module, attr = OUTPUTS[kind]
    read = getattr(importlib.import_module(module), attr)
    stack, _ = commands._load_offline(path, stack_name)
    with commands._clients(use_sandbox, stack.root) as clients:
        data, lines = read(stack, clients, address)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt == "model":
        click.echo(str(data.get("model") or ""))
    else:
        for line in lines:
            click.echo(line)
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        write_github_output(Path(target), data)


def write_github_output(target: Path, data: dict[str, Any]) -> None:
    """Append the top-level scalar values as `key=value` (multi-line ones with a delimiter)."""
    lines = []
    for key, value in data.items():
        if not isinstance(value, str | int | float | bool):
            continue
        text = json.dumps(value) if isinstance(value, bool) else str(value)
        if "\n" in text:
            marker = f"EOF_{uuid.uuid4().hex}"
            lines.append(f"{key}<<{marker}\n{text}\n{marker}\n")
        else:
            lines.append(f"{key}={text}\n")
    with target.open("a", encoding="utf-8") as handle:
        handle.write("".join(lines))
