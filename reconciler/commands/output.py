"""`reconciler output Kind/name [PATH]`: what an object produced, fetched now, for people and CI.

Registered in `cli.LazyGroup.lazy`. `OUTPUTS` maps a kind to the function that fetches its
output, `(OutputTarget) -> (data, lines)`:

- `Batch`: downloads the joined results and failures (to `--to FILE`, else the manifest's
  `output` and `failures`) from the platform's files alone, so a CI job that did not submit the
  batch gets its results; `data` says what was written where.
- `Promotion` (`providers/promotion_output.py`): the recorded winner (model, run, scores).

The lines are printed (`--format human`), the data as JSON (`--format json`), or the model id
alone (`--format model`, for `$(...)`). In GitHub Actions (`$GITHUB_OUTPUT` set) the data's
top-level scalars are also appended as step outputs, e.g. `model=ft:gpt-4.1-mini:acme::x1`.
Nothing to fetch yet: exit 1 with what to do.

Adding a kind: a function taking an `OutputTarget`, returning `(data, lines)`, raising
`ConfigError` with what to do when there is nothing yet, and one entry in `OUTPUTS`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler import cli as commands
from reconciler.errors import ConfigError

if TYPE_CHECKING:
    from reconciler.manifests import Stack
    from reconciler.plan import ResourceChange
    from reconciler.providers import Clients


@dataclass(frozen=True)
class OutputTarget:
    """What an output function gets: the object's address, the stack, clients to read the
    platform with, `--to` (None: where the manifest says) and `planned()`, the object's planned
    change (made on first call: list requests only, as `plan` makes them)."""

    address: str
    stack: Stack
    clients: Clients
    to: Path | None
    path: Path
    reports: dict[str, Any]

    def planned(self) -> ResourceChange:
        plan = commands._plan_with(
            self.stack, self.reports, self.clients, str(self.path), mode="apply"
        )
        change = next((c for c in plan.changes if c.address == self.address), None)
        if change is None:
            raise ConfigError(f"{self.address} is not in the plan of {self.path}")
        if not change.desired:
            raise ConfigError(f"{self.address}: {change.reason}")
        return change


Output = tuple[dict[str, Any], list[str]]


def batch_output(target: OutputTarget) -> Output:
    """A Batch's joined results: `--to FILE` (failures next to it as `<stem>.failed.jsonl`),
    else the manifest's `output` and `failures`."""
    from reconciler.models.batch import RUNNING_STATUSES
    from reconciler.providers.batches import BatchProvider

    change = target.planned()
    payload = change.desired
    batches = payload.get("batches") or []
    if not batches:
        raise ConfigError(
            f"{target.address} has no batch of its current spec and input "
            f"({change.reason}): run `reconciler apply` first"
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
    ids = [str(b["id"]) for b in batches]
    running = [str(b["id"]) for b in batches if b.get("status") in RUNNING_STATUSES]
    lines = [
        f"{target.address}: {written.results:,} results to {_shown(output)}, "
        f"{written.failures:,} failures to {_shown(failures)} (from {', '.join(ids)})",
        f"{written.actual.words()}",
    ]
    if running:
        lines.append(f"still running: {', '.join(running)}; their requests are in failures")
    data: dict[str, Any] = {
        "address": target.address,
        "output": _shown(output),
        "failures": _shown(failures),
        "results": written.results,
        "failed": written.failures,
        "batches": ids,
        "running": running,
    }
    return data, lines


def promotion_output(target: OutputTarget) -> Output:
    """A Promotion's recorded winner (`providers/promotion_output.py`)."""
    from reconciler.providers.promotion_output import promotion_output as read

    if target.to is not None:
        raise ConfigError(f"{target.address}: --to is for Batch results; use --format json")
    data, lines = read(target.stack, target.clients, target.address)
    return data, list(lines)


OUTPUTS: dict[str, Callable[[OutputTarget], Output]] = {
    "Batch": batch_output,
    "Promotion": promotion_output,
}
"""Kind -> the function that fetches what that kind's objects produced."""


@click.command("output")
@click.argument("address", metavar="KIND/NAME")
@commands.path_argument
@click.option(
    "--to",
    "to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Batch: write the results here instead of where the manifest says.",
)
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
    address: str,
    path: Path,
    to: Path | None,
    fmt: str,
    use_sandbox: bool,
    stack_name: str | None,
) -> None:
    """Fetch what KIND/NAME produced: a Batch's joined results, a Promotion's winning model.

    Works from the platform and the manifests alone (no local state needed). In GitHub
    Actions, also writes the values to $GITHUB_OUTPUT (model=..., winner=...)."""
    kind, slash, name = address.partition("/")
    if not slash or not name or kind not in OUTPUTS:
        kinds = sorted(OUTPUTS)
        raise ConfigError(
            f"output {address}: only {' and '.join(kinds)} objects have an output "
            f"(give {' or '.join(f'{k}/name' for k in kinds)})"
        )
    stack, reports = commands._load_offline(path, stack_name)
    if address not in stack.resources:
        raise ConfigError(f"no manifest under {path} declares {address}")
    with commands._clients(use_sandbox, stack.root) as clients:
        data, lines = OUTPUTS[kind](OutputTarget(address, stack, clients, to, path, reports))
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt == "model":
        if "model" not in data:
            raise ConfigError(f"output {address}: a {kind} has no model; use --format json")
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


def _shown(path: Path | None) -> str:
    return "nowhere" if path is None else str(path)
