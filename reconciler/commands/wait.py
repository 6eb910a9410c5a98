"""`reconciler wait [PATH]` and `apply --wait`: follow the stack's running jobs until they end.

Registered in `cli.LazyGroup.lazy`; `cli.apply --wait` calls `follow_running_jobs` after its
changes. The jobs are the plan's `wait` changes (fine-tuning jobs, batches); each is polled
through its provider's `progress` (`providers.base.Waitable`): a progress bar per job on a
terminal, a line per change otherwise, with the job's latest event. Ctrl-C stops waiting,
never the job. Exit codes: 0 all succeeded, 1 one failed, 2 still running at --timeout.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler import cli as commands
from reconciler.plan import Action
from reconciler.providers.base import JobProgress, Waitable
from reconciler.state import HOME_PROJECT

if TYPE_CHECKING:
    from reconciler.manifests import Stack
    from reconciler.providers import Clients

EXIT_SUCCEEDED, EXIT_FAILED, EXIT_TIMEOUT, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_INTERVAL = "30s"


@dataclass
class FollowedJob:
    """One running job: its manifest address, live id, project and the provider to poll."""

    address: str
    live_id: str
    project: str
    provider: Waitable
    last: JobProgress | None = None

    def line(self) -> str:
        """`FineTune/x (ftjob-1): running, step 3 of 30 - <latest event>`."""
        seen = self.last
        if seen is None:
            return f"{self.address} ({self.live_id}): waiting for its first answer"
        steps = f", {seen.done:,} of {seen.total:,}" if seen.total else ""
        event = f" - {seen.message}" if seen.message else ""
        return f"{self.address} ({self.live_id}): {seen.status}{steps}{event}"


@click.command("wait")
@commands.path_argument
@click.option(
    "--timeout",
    default=None,
    metavar="DURATION",
    help="Stop waiting after this long (e.g. 90s, 30m, 2h; exit 2). Default: until all end.",
)
@click.option(
    "--interval",
    default=DEFAULT_INTERVAL,
    show_default=True,
    metavar="DURATION",
    help="Time between two looks at each job.",
)
@commands.sandbox_option
@commands.stack_option
def wait_command(
    path: Path, timeout: str | None, interval: str, use_sandbox: bool, stack_name: str | None
) -> None:
    """Follow the stack's running jobs (fine-tuning, batches) until they end.

    A progress bar per job and its latest event; Ctrl-C stops waiting, never the jobs.
    Exit 0 when all succeeded, 1 when one failed, 2 when one still runs at --timeout."""
    sys.exit(wait_for_jobs(path, stack_name, use_sandbox, timeout=timeout, interval=interval))


def wait_for_jobs(
    path: Path,
    stack_name: str | None,
    use_sandbox: bool,
    *,
    timeout: str | None,
    interval: str | None = None,
    followed: list[str] | None = None,
) -> int:
    """Read the stack's plan and follow its running jobs; the exit code."""
    stack, reports = commands._load_offline(path, stack_name)
    with commands._clients(use_sandbox, stack.root) as clients:
        return follow_running_jobs(
            stack,
            reports,
            clients,
            str(path),
            timeout=timeout,
            interval=interval,
            followed=followed,
        )


def follow_running_jobs(
    stack: Stack,
    reports: dict[str, Any],
    clients: Clients,
    path: str,
    *,
    timeout: str | None,
    interval: str | None = None,
    followed: list[str] | None = None,
) -> int:
    """Poll every job the plan waits for until all ended (or `timeout`); the exit code.
    The addresses of the jobs followed are appended to `followed` when given."""
    limit = None if timeout is None else commands._seconds(timeout, "--timeout")
    pause = commands._seconds(interval or DEFAULT_INTERVAL, "--interval")
    jobs = running_jobs(stack, reports, clients, path)
    if followed is not None:
        followed += [job.address for job in jobs]
    if not jobs:
        click.echo("No job of the stack is running: nothing to wait for.")
        return EXIT_SUCCEEDED
    click.echo(f"Waiting for {len(jobs)} job(s); Ctrl-C stops waiting, never the jobs.")
    deadline = None if limit is None else time.monotonic() + limit
    try:
        with _display(jobs) as show:
            ended = _poll_until_done(jobs, show, deadline, pause)
    except KeyboardInterrupt:
        click.echo("\nStopped waiting; the jobs keep running:", err=True)
        for job in jobs:
            click.echo(f"  {job.line()}", err=True)
        return EXIT_INTERRUPTED
    return _summary(jobs, ended=ended, limit=timeout)


def running_jobs(
    stack: Stack, reports: dict[str, Any], clients: Clients, path: str
) -> list[FollowedJob]:
    """The plan's `wait` changes whose kind's provider can report progress."""
    from reconciler.providers import make_providers

    plan = commands._plan_with(stack, reports, clients, path, mode="apply")
    providers = make_providers(clients, stack.name, stack.root).by_kind
    jobs: list[FollowedJob] = []
    for change in plan.changes:
        provider = providers.get(change.kind)
        if change.action is not Action.WAIT or change.live_id is None:
            continue
        if change.live_id.startswith("pending:"):  # waits for another resource, not a job
            continue
        if not isinstance(provider, Waitable):
            continue
        project = str(change.live_attributes.get("project", HOME_PROJECT))
        jobs.append(FollowedJob(change.address, change.live_id, project, provider))
    return jobs


def _poll_until_done(
    jobs: list[FollowedJob],
    show: Callable[[FollowedJob, JobProgress | None], None],
    deadline: float | None,
    pause: float,
) -> bool:
    """Look at every job not yet ended, then sleep; True once all ended, False at deadline."""
    while True:
        for job in jobs:
            if job.last is not None and job.last.outcome is not None:
                continue
            before, job.last = job.last, job.provider.progress(job.live_id, job.project)
            show(job, before)
        if all(job.last is not None and job.last.outcome for job in jobs):
            return True
        if deadline is not None and time.monotonic() + pause > deadline:
            return False
        time.sleep(pause)


@contextmanager
def _display(
    jobs: list[FollowedJob],
) -> Iterator[Callable[[FollowedJob, JobProgress | None], None]]:
    """Progress bars (rich) on a terminal; otherwise a line whenever a job moves."""
    if not sys.stdout.isatty():

        def print_line(job: FollowedJob, before: JobProgress | None) -> None:
            if job.last != before:
                click.echo(job.line())

        yield print_line
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns) as bars:
        tasks = {job.live_id: bars.add_task(job.address, total=None, status="…") for job in jobs}

        def update_bar(job: FollowedJob, before: JobProgress | None) -> None:
            seen = job.last
            if seen is None:
                return
            total = seen.total or None
            bars.update(tasks[job.live_id], completed=seen.done, total=total, status=seen.status)
            if seen.message and (before is None or before.message != seen.message):
                bars.console.print(f"{job.address}: {seen.message}")

        yield update_bar


def _summary(jobs: list[FollowedJob], *, ended: bool, limit: str | None) -> int:
    if sys.stdout.isatty():  # the bars are gone; plain output already has these lines
        for job in jobs:
            click.echo(job.line())
    failed = [j for j in jobs if j.last is not None and j.last.outcome == "failed"]
    if failed:
        names = ", ".join(j.address for j in failed)
        click.echo(f"error: {len(failed)} job(s) did not succeed: {names}.", err=True)
        return EXIT_FAILED
    if not ended:
        running = [j.address for j in jobs if j.last is None or j.last.outcome is None]
        click.echo(
            f"Still running after {limit}: {', '.join(running)}. They keep running; "
            "`reconciler wait` follows them again.",
            err=True,
        )
        return EXIT_TIMEOUT
    click.echo(f"All {len(jobs)} job(s) succeeded.")
    return EXIT_SUCCEEDED


WRITES_AFTER_WAIT = ("Batch/", "EvalRun/")
"""Kinds whose apply has work left once their job ends (results to write, replays to send)."""


def needs_second_apply(followed: list[str]) -> bool:
    """Whether `apply --wait` applies again after the wait: a batch it followed has results
    to write (or requests to replay) only an apply does."""
    return any(address.startswith(WRITES_AFTER_WAIT) for address in followed)
