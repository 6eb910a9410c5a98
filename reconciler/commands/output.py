"""`reconciler output Kind/name [PATH] [--to FILE]`: the results of one object, fetched now.

Registered in `cli.LazyGroup.lazy`. Reads the stack's plan (list calls only, as `plan` does),
finds the planned change of `Kind/name`, and hands it to the writer of its kind in `WRITERS`.
Nothing local is needed but the manifests and their source files: a CI job that did not
submit a batch gets its results from the platform's files alone.

Adding a kind: write `def write_x(target: OutputTarget) -> list[str]` (download what the
object produced, write it to `target.to` or where its manifest says, return the lines to
print; raise `ConfigError` with what to do when there is nothing to fetch yet) and add it to
`WRITERS`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler import cli as commands
from reconciler.errors import ConfigError

if TYPE_CHECKING:
    from reconciler.manifests import Stack
    from reconciler.plan import ResourceChange
    from reconciler.providers import Clients


@dataclass(frozen=True)
class OutputTarget:
    """What a writer gets: the object's planned `change` (its `desired` payload says where its
    results live), the stack, clients to read the platform with, and `--to` (None: the paths
    the manifest declares)."""

    address: str
    change: ResourceChange
    stack: Stack
    clients: Clients
    to: Path | None


Writer = Callable[[OutputTarget], list[str]]


def write_batch(target: OutputTarget) -> list[str]:
    """A Batch's joined results: `--to FILE` (failures next to it as `<stem>.failed.jsonl`),
    else the manifest's `output` and `failures`."""
    from reconciler.providers.batches import BatchProvider

    payload = target.change.desired
    batches = payload.get("batches") or []
    if not batches:
        raise ConfigError(
            f"{target.address} has no batch of its current spec and input "
            f"({target.change.reason}): run `reconciler apply` first"
        )
    root = target.stack.root
    if target.to is not None:
        output: Path | None = target.to
        failures: Path | None = target.to.with_name(target.to.stem + ".failed.jsonl")
    else:
        output = root / payload["output"] if payload.get("output") else None
        failures = root / payload["failures"] if payload.get("failures") else None
        if output is None and failures is None:
            raise ConfigError(f"{target.address} declares no output: give --to FILE")
    provider = BatchProvider(target.clients, root)
    to = None if target.to is None or failures is None else (target.to, failures)
    written = provider.download_results(payload, to=to)
    running = [b["id"] for b in batches if b.get("status") in _running()]
    lines = [
        f"{target.address}: {written.results:,} results to {_shown(output)}, "
        f"{written.failures:,} failures to {_shown(failures)} "
        f"(from {', '.join(str(b['id']) for b in batches)})",
        f"{written.actual.words()}",
    ]
    if running:
        lines.append(f"still running: {', '.join(running)}; their requests are in failures")
    return lines


WRITERS: dict[str, Writer] = {"Batch": write_batch}
"""Kind -> the function that fetches and writes that kind's results."""


@click.command("output")
@click.argument("address", metavar="Kind/name")
@commands.path_argument
@click.option(
    "--to",
    "to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the results here instead of where the manifest says.",
)
@commands.sandbox_option
@commands.stack_option
def output_command(
    address: str, path: Path, to: Path | None, use_sandbox: bool, stack_name: str | None
) -> None:
    """Download the results of Kind/name and write them (today: Batch).

    Works from the platform's files and the manifests alone (no local state needed)."""
    kind = address.partition("/")[0]
    writer = WRITERS.get(kind)
    if writer is None:
        raise ConfigError(
            f"output {address}: only {', '.join(sorted(WRITERS))} objects have results to fetch"
        )
    stack, reports = commands._load_offline(path, stack_name)
    if address not in stack.resources:
        raise ConfigError(f"no manifest under {path} declares {address}")
    with commands._clients(use_sandbox, stack.root) as clients:
        plan = commands._plan_with(stack, reports, clients, str(path), mode="apply")
        change = next((c for c in plan.changes if c.address == address), None)
        if change is None:
            raise ConfigError(f"{address} is not in the plan of {path}")
        if not change.desired:
            raise ConfigError(f"{address}: {change.reason}")
        lines = writer(OutputTarget(address, change, stack, clients, to))
    for line in lines:
        click.echo(line)
    sys.exit(0)


def _running() -> tuple[str, ...]:
    from reconciler.models.batch import RUNNING_STATUSES

    return RUNNING_STATUSES


def _shown(path: Path | None) -> str:
    return "nowhere" if path is None else str(path)
