"""Thin click commands: validate, plan, apply, drift, import, show, schema, sandbox.

Each command parses flags, calls one function of the core and hands the result to `render.py`.
Any `ReconcilerError` becomes a message and an exit code (1 for errors; 2 for changes present
with --detailed-exitcode and for drift); user errors never show a traceback.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler import __version__
from reconciler.errors import ApplyRefusedError, ConfigError, Diagnostics

if TYPE_CHECKING:
    from reconciler.manifests import Stack
    from reconciler.plan import Plan
    from reconciler.planner import Mode
    from reconciler.providers import Clients
    from reconciler.sandbox import SandboxHandle


class LazyGroup(click.Group):
    """Imports subcommand groups on first use, so `validate` never loads the SDK or the sandbox."""

    lazy = {
        "sandbox": ("reconciler.sandbox.cli", "sandbox_group"),
        "wait": ("reconciler.commands.wait", "wait_command"),
        "output": ("reconciler.commands.output", "output_command"),
        "import": ("reconciler.commands.import_", "import_command"),
        "usage": ("reconciler.commands.usage", "usage_command"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, attr = self.lazy[name]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, name)


class ReconcilerGroup(LazyGroup):
    """Turns a `ReconcilerError` into its message on stderr and its exit code, in every entry
    point (the console script, `python -m reconciler`, click's test runner)."""

    def invoke(self, ctx: click.Context) -> object:
        from reconciler.errors import ReconcilerError

        try:
            return super().invoke(ctx)
        except ReconcilerError as exc:
            _report(exc)
            sys.exit(exc.exit_code)


def _report(error: Exception) -> None:
    """An error on stderr: diagnostics as they are, anything else after `error:`; keys masked."""
    from reconciler.errors import ManifestError, TemporaryApiError

    text = str(error) if isinstance(error, ManifestError) else f"error: {error}"
    if isinstance(error, TemporaryApiError) and error.status is not None:
        text += "\nThe API is failing on its side: try again in a few minutes."
    click.echo(_masked(text), err=True)


# -- shared options --------------------------------------------------------------------------

_NO_COLOR = "reconciler.no_color"


def _set_no_color(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_NO_COLOR] = True  # `meta` is shared by the group's and the command's context


no_color_option = click.option(
    "--no-color",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_no_color,
    help="No colors in the output (as NO_COLOR=1 does; FORCE_COLOR=1 forces them off a terminal).",
)


@click.group(cls=ReconcilerGroup)
@click.version_option(__version__, prog_name="reconciler")
@no_color_option
def cli() -> None:
    """Manage OpenAI platform objects from YAML manifests in Git."""


SANDBOX_STATE = Path(".reconciler/sandbox.sqlite3")  # relative to the stack's folder

stack_option = click.option(
    "--stack", "stack_name", metavar="NAME", help="The stack name (overrides reconciler.yaml)."
)
sandbox_option = click.option(
    "--sandbox",
    "use_sandbox",
    is_flag=True,
    help="Run against the embedded OpenAI API sandbox (state kept in the stack's folder, "
    f"{SANDBOX_STATE}, next to the dataset cache).",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["human", "markdown", "json"]),
    default="human",
    show_default=True,
    help="How to print the plan.",
)
target_option = click.option(
    "--target",
    "targets",
    metavar="Kind/name",
    multiple=True,
    help="Only this resource and what it depends on (repeatable); the rest is left as it is.",
)
refresh_option = click.option(
    "--refresh",
    type=click.Choice(["full", "incremental"]),
    default=None,
    help="Administration API reads: full, or incremental from the stack's snapshot and the "
    "audit log (default: reconciler.yaml's refresh.mode; docs/incremental-refresh.md).",
)
path_argument = click.argument(
    "path", type=click.Path(exists=True, path_type=Path), default=".", required=False
)


def _use_color() -> bool:
    """--no-color, then NO_COLOR (no-color.org), then FORCE_COLOR (e.g. CI logs), then a tty."""
    context = click.get_current_context(silent=True)
    if context is not None and context.meta.get(_NO_COLOR):
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "0") not in ("", "0"):
        return True
    return sys.stdout.isatty()


# -- commands --------------------------------------------------------------------------------


@cli.command()
@path_argument
@stack_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["human", "github", "json"]),
    default="human",
    show_default=True,
    help="human text on stderr; github: workflow annotations (::error file=,line=,col=::) on "
    "stdout, shown inline in a pull request's diff; json: every diagnostic on stdout.",
)
@no_color_option
def validate(path: Path, stack_name: str | None, fmt: str) -> None:
    """Check manifests, references and dataset files; no API call (exit 1 on any error)."""
    from reconciler.errors import ManifestError
    from reconciler.render import (
        render_diagnostics,
        render_diagnostics_github,
        render_diagnostics_json,
    )
    from reconciler.validation import run_validate

    if fmt == "human":
        diagnostics = run_validate(path, stack_name)
        if len(diagnostics):
            color = _use_color()
            click.echo(render_diagnostics(diagnostics, color=color), err=True, color=color)
        click.echo(f"{path}: valid.")
        return
    try:
        diagnostics = run_validate(path, stack_name)
    except ManifestError as error:
        diagnostics = error.diagnostics
    render = render_diagnostics_github if fmt == "github" else render_diagnostics_json
    click.echo(_masked(render(diagnostics)))
    if diagnostics.has_errors:
        sys.exit(1)
    if fmt == "github":
        click.echo(f"{path}: valid.")


@cli.command()
@path_argument
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan.")
@format_option
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes.")
@target_option
@sandbox_option
@stack_option
@refresh_option
@no_color_option
def plan(
    path: Path,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    targets: tuple[str, ...],
    use_sandbox: bool,
    stack_name: str | None,
    refresh: str | None,
) -> None:
    """Show what apply would change (read-only; reports the API requests it made)."""
    if out is not None and not out.parent.is_dir():
        raise ConfigError(_cannot_write(out, f"there is no folder {out.parent}"))
    made = _make_plan(path, stack_name, use_sandbox, mode="apply", targets=targets, refresh=refresh)
    if out is not None:
        try:
            out.write_text(made.to_json() + "\n", encoding="utf-8")
        except OSError as error:
            raise ConfigError(_cannot_write(out, error.strerror or str(error))) from None
    _echo_plan(made, fmt)
    if out is not None:
        again = f"reconciler apply {out}" + (" --sandbox" if use_sandbox else "")
        click.echo(f"Saved the plan to {out}; run `{again}` to apply it.", err=True)
    _exit_for(made, changes_exit=2 if detailed_exitcode else 0)


@cli.command()
@path_argument
@format_option
@sandbox_option
@stack_option
@refresh_option
@no_color_option
def drift(
    path: Path, fmt: str, use_sandbox: bool, stack_name: str | None, refresh: str | None
) -> None:
    """Refresh-only plan: what differs between live state and Git (exit 2 when anything does)."""
    made = _make_plan(path, stack_name, use_sandbox, mode="drift", refresh=refresh)
    _echo_plan(made, fmt)
    _exit_for(made, changes_exit=2)


@cli.command()
@click.argument("target", metavar="PLANFILE | Kind/name")
@path_argument
@format_option
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With FineTune/name: draw loss and accuracy by step to this PNG (extra 'plot').",
)
@sandbox_option
@stack_option
def show(
    target: str,
    path: Path,
    fmt: str,
    plot: Path | None,
    use_sandbox: bool,
    stack_name: str | None,
) -> None:
    """Print a plan saved with `plan --out`, or a live object: `show FineTune/name [PATH]`
    (status, model, hyperparameters, last events, metrics; --plot FILE.png) or
    `show Promotion/name [PATH]` (the decision table: scores, latency, cost, gates)."""
    from reconciler.planner import changed_manifests

    if not Path(target).is_file() and re.fullmatch(r"[A-Z][A-Za-z]*/[^/]+", target):
        from reconciler.commands.show import show_live

        show_live(target, path, stack_name, use_sandbox, plot)
        return
    plan_file = Path(target)
    if not plan_file.is_file():
        raise ConfigError(f"show {target}: no such plan file (or give an address: FineTune/name)")
    saved = _read_saved_plan(plan_file)
    _echo_plan(saved, fmt)
    if not Path(saved.manifests_path).is_dir():
        click.echo(
            f"note: the manifests this plan was made from ('{saved.manifests_path}') are not "
            f"here ({Path.cwd()}): the staleness check is skipped.",
            err=True,
        )
        return
    changed = changed_manifests(saved)
    if changed:
        click.echo(
            f"warning: this plan is stale: {', '.join(changed)}. `reconciler apply {plan_file}` "
            "will refuse it: run `reconciler plan` again.",
            err=True,
        )


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write one <kind>.schema.json per kind there (for editors); default: list the kinds.",
)
def schema(out_dir: Path | None) -> None:
    """JSON Schemas of every kind and of reconciler.yaml (for editor completion)."""
    from reconciler.models import KINDS, write_schemas

    if out_dir is None:
        for kind, info in sorted(KINDS.items()):
            click.echo(f"{info.api_version} {kind}")
        click.echo("Use --out DIR to write the JSON Schemas.")
        return
    for path in write_schemas(out_dir):
        click.echo(f"wrote {path}")


@cli.command()
@click.argument("target", type=click.Path(exists=True, path_type=Path), default=".")
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@click.option("--allow-delete", is_flag=True, help="Run the plan's deletes.")
@click.option(
    "--allow-archive", is_flag=True, help="Also run irreversible deletes (archiving projects)."
)
@click.option(
    "--allow-remove-users",
    is_flag=True,
    help="Also remove organization users whose OrgUser manifest is gone.",
)
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 32))
@click.option(
    "--lock-timeout",
    default="0s",
    show_default=True,
    metavar="DURATION",
    help="How long to wait for another apply of the stack to finish (e.g. 90s, 10m).",
)
@click.option(
    "--wait", "wait_for", is_flag=True, help="Then follow the running jobs (`reconciler wait`)."
)
@target_option
@sandbox_option
@stack_option
@no_color_option
def apply(
    target: Path,
    auto_approve: bool,
    allow_delete: bool,
    allow_archive: bool,
    allow_remove_users: bool,
    concurrency: int,
    lock_timeout: str,
    wait_for: bool,
    targets: tuple[str, ...],
    use_sandbox: bool,
    stack_name: str | None,
) -> None:
    """Apply the manifests under TARGET, or a plan saved with `plan --out` (refused if stale).

    The stack's lock is taken before the live state is read and held until the last write."""
    from reconciler.apply import apply_plan
    from reconciler.console import ApplyConsole
    from reconciler.providers import make_providers
    from reconciler.providers.lock import StackLock
    from reconciler.providers.settle import settle_apply

    wait = _seconds(lock_timeout, "--lock-timeout")
    saved = _read_plan_to_apply(target) if _is_plan_file(target) else None
    if saved is not None and targets:
        raise ConfigError(
            f"--target goes with `reconciler plan --target ... --out {target}`, not with a "
            "saved plan: the saved plan already holds what it targets"
        )
    path = _manifests_of(saved, target) if saved is not None else target
    stack, reports = _load_offline(path, stack_name)
    if saved is not None:
        _check_same_stack(saved, target, stack.name, path)
    with (
        _clients(use_sandbox, stack.root) as clients,
        StackLock(clients, stack.name, on_notice=_echo_notice) as lock,
    ):
        lock.acquire(timeout=wait)
        fresh = _plan_with(stack, reports, clients, str(path), mode="apply", targets=targets)
        if saved is not None:
            from reconciler.planner import check_plan_is_current
            from reconciler.policies import check_policies

            check_plan_is_current(saved, fresh)
            # today's policies decide, not the review's
            saved = check_policies(saved, stack.config.policies, stack.root)
        chosen = saved or fresh
        if chosen.denied:
            _echo_plan(chosen, "human")
            _refuse_denied(chosen)
        if not chosen.has_changes:
            _echo_plan(chosen, "human")
            _exit_for(chosen, changes_exit=0)
            if wait_for:  # nothing to change, but jobs may be running: follow them unlocked
                from reconciler.commands.wait import follow_running_jobs

                lock.release()
                followed: list[str] = []
                code = follow_running_jobs(
                    stack, reports, clients, str(path), timeout=None, followed=followed
                )
                sys.exit(_apply_after_wait(code, followed))
            return
        _confirm(chosen, auto_approve)
        providers = make_providers(clients, stack.name, stack.root)
        click.echo("\nApplying:")
        console = ApplyConsole(color=_use_color(), plan=chosen)
        result = apply_plan(
            chosen,
            providers.by_kind,
            allow_delete=allow_delete,
            allow_archive=allow_archive,
            allow_flags=frozenset({"--allow-remove-users"} if allow_remove_users else ()),
            concurrency=concurrency,
            on_event=console.handle,
        )
        console.stop()
        for notice in settle_apply(clients, providers, chosen, result, lock):
            _echo_notice(f"note: {notice}")
    blocked = chosen.summary.blocked
    console.finish(result, blocked=blocked)
    code = 130 if result.interrupted else 0 if result.ok and not blocked else 1
    if wait_for and code == 0:
        from reconciler.commands.wait import wait_for_jobs

        followed = _submitted(chosen, result.succeeded)  # may have ended before the first look
        code = wait_for_jobs(path, stack_name, use_sandbox, timeout=None, followed=followed)
        code = _apply_after_wait(code, followed)
    sys.exit(code)


_APPLY_ROUNDS = "reconciler.apply_rounds"
_MAX_APPLY_ROUNDS = 12  # a first submission, at most 10 replays, the last results


def _submitted(plan: Plan, succeeded: list[str]) -> list[str]:
    """The addresses of the applied changes that submitted a job (a create, a replace, or a
    batch's replay or resumed parts; not an EvalRun `via: responses`, which ran during the
    apply), and of the `wait` changes held only by one of them (an EvalRun or Batch whose
    model is a FineTune's): `apply --wait` applies again after they end."""
    from reconciler.plan import Action

    done = set(succeeded)
    submitted = [
        c.address
        for c in plan.changes
        if c.address in done
        and (
            c.action in (Action.CREATE, Action.REPLACE)
            or c.desired.get("next") in ("replay", "resume")
        )
        and c.desired.get("via") != "responses"
    ]
    held = [
        c.address
        for c in plan.changes
        if c.action is Action.WAIT
        and str(c.live_id).startswith("pending:")
        and any(f"waits for {address}" in c.reason for address in submitted)
    ]
    return submitted + held


def _apply_after_wait(code: int, followed: list[str]) -> int:
    """After `apply --wait`: apply once more when a followed batch left work only an apply
    does (its results written, its failed requests replayed); the exit code."""
    from reconciler.commands.wait import needs_second_apply

    context = click.get_current_context()
    rounds = context.meta.get(_APPLY_ROUNDS, 0) + 1
    if code != 0 or not needs_second_apply(followed) or rounds > _MAX_APPLY_ROUNDS:
        return code
    context.meta[_APPLY_ROUNDS] = rounds
    click.echo(
        "\nThe jobs ended: applying again to write their results and start what waited for them."
    )
    try:
        context.invoke(apply, **context.params)  # --wait again: a replay is followed too
    except SystemExit as done:
        return int(done.code or 0)
    return 0


@cli.command("force-unlock")
@click.argument("lock_id")
@path_argument
@sandbox_option
@stack_option
def force_unlock(lock_id: str, path: Path, use_sandbox: bool, stack_name: str | None) -> None:
    """Break the stack's lock LOCK_ID, left by an apply that died (see the lock error)."""
    from reconciler.manifests.discovery import stack_root
    from reconciler.providers.lock import force_unlock as unlock

    name = _stack_name(path, stack_name)
    with _clients(use_sandbox, stack_root(path)) as clients:
        broken = unlock(clients, name, lock_id)
    click.echo(f"Broke the lock of stack '{name}' held by {broken.describe()}.")


def _seconds(text: str, option: str) -> float:
    """`90`, `90s`, `10m` or `1h` in seconds; a ConfigError naming the option otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if match is None:
        raise ConfigError(f"{option} {text!r} is not a duration: write it as 30s, 10m or 1h")
    return float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]


def _stack_name(path: Path, stack_name: str | None) -> str:
    """The stack's name from --stack or reconciler.yaml, without reading the manifests."""
    from reconciler.manifests.config_file import read_config
    from reconciler.manifests.discovery import stack_root

    problems = Diagnostics()
    reading = read_config(stack_root(path), stack_name, problems)
    problems.raise_if_errors()
    if reading is None:
        raise ConfigError(f"no reconciler.yaml in {path}: give the stack with --stack NAME")
    return reading.config.stack


# -- the steps behind the commands -----------------------------------------------------------


def _load_offline(path: Path, stack_name: str | None) -> tuple[Stack, dict[str, Any]]:
    """Manifests, references and dataset files: every check that needs no API call. Manifest
    errors stop the command (ManifestError); dataset errors and warnings are shown, and their
    reports go to the planner, which blocks a dataset with errors."""
    from reconciler.kinds.facts import check_datasets, dataset_diagnostics
    from reconciler.manifests import load_stack
    from reconciler.validation import validate_stack

    if path.is_file():
        folder = path.parent.as_posix() or "."
        raise ConfigError(
            f"{path} is a single manifest, but plan, apply and drift read the whole "
            "stack: with one file, every other object the stack owns would look undeclared and "
            f"be planned for deletion. Give the folder that holds reconciler.yaml, e.g. "
            f"`reconciler plan {folder}` (`reconciler validate` accepts a single file)."
        )
    stack = load_stack(path, stack_name=stack_name)
    found = Diagnostics()
    found.extend(stack.warnings)
    found.extend(validate_stack(stack, check_datasets=False))
    if stack.config.policies.paths:  # before any request: a broken policy stops the command
        from reconciler.policies import policy_diagnostics

        found.extend(policy_diagnostics(stack.config.policies, stack.root))
    found.raise_if_errors()
    reports = check_datasets(stack)
    found.extend(dataset_diagnostics(stack, reports))
    if found.has_errors:  # a dataset's: the planner blocks it and its dependents
        _echo_diagnostics(found)
    elif len(found):  # after the plan, as Terraform does (an error stays the first thing)
        context = click.get_current_context(silent=True)
        if context is not None:
            context.meta[_PENDING_WARNINGS] = found
    return stack, dict(reports)


_PENDING_WARNINGS = "reconciler.pending_warnings"


def _echo_diagnostics(found: Diagnostics) -> None:
    """What the offline checks found, on stderr, as `validate` shows it (the same counts)."""
    from reconciler.render import render_diagnostics

    color = _use_color()
    click.echo(_masked(render_diagnostics(found, color=color)), err=True, color=color)


def _make_plan(
    path: Path,
    stack_name: str | None,
    use_sandbox: bool,
    *,
    mode: Mode,
    targets: tuple[str, ...] = (),
    refresh: str | None = None,
) -> Plan:
    stack, reports = _load_offline(path, stack_name)
    with _clients(use_sandbox, stack.root) as clients:
        return _plan_with(
            stack, reports, clients, str(path), mode=mode, targets=targets, refresh=refresh
        )


def _plan_with(
    stack: Stack,
    reports: dict[str, Any],
    clients: Clients,
    path: str,
    *,
    mode: Mode,
    targets: tuple[str, ...] = (),
    refresh: str | None = None,
) -> Plan:
    from reconciler.planner import build_plan, digest_manifests
    from reconciler.providers import read_live_state

    live = read_live_state(stack, clients, refresh=refresh)
    made = build_plan(
        stack,
        live,
        reports=reports,
        manifest_digests=digest_manifests(stack, reports),
        mode=mode,
        manifests_path=path,
    )
    if mode != "drift":  # a lowered spend limit: the last 30 days' cost against it
        from reconciler.providers.spend_check import warn_lowered_spend_limits

        made = warn_lowered_spend_limits(made, clients)
    if mode == "drift":  # who changed each drifted object, from the audit log
        from reconciler.providers.audit_log import attribute_drift

        return attribute_drift(made, clients, live)
    if mode != "apply":
        return made
    from reconciler.policies import check_policies
    from reconciler.targeting import target_plan

    return check_policies(target_plan(made, targets), stack.config.policies, stack.root)


@contextmanager
def _clients(use_sandbox: bool, root: Path) -> Iterator[Clients]:
    """SDK clients from the environment, or pointed at the embedded sandbox of the stack in
    `root` (`--sandbox`)."""
    from reconciler.providers import Clients, Credentials

    if not use_sandbox:
        with Clients(Credentials.from_env(), on_retry=_echo_notice) as clients:
            yield clients
        return
    with _embedded_sandbox(root / SANDBOX_STATE) as handle:
        credentials = Credentials(
            api_key=handle.project_key, admin_key=handle.admin_key, base_url=handle.base_url
        )
        with Clients(credentials, on_retry=_echo_notice) as clients:
            yield clients


@contextmanager
def _embedded_sandbox(state_file: Path) -> Iterator[SandboxHandle]:
    """The sandbox of `--sandbox`, kept in the stack's folder so that every directory the
    commands run from sees the same one (as the dataset cache does); a state file it cannot
    open is a ConfigError saying so."""
    import sqlite3

    from reconciler.datasets.cache import ignore_in_git
    from reconciler.sandbox import running_sandbox

    ignore_in_git(state_file.parent)
    with ExitStack() as stack:
        try:
            handle = stack.enter_context(running_sandbox(state_file=state_file))
        except (sqlite3.Error, OSError) as error:
            raise ConfigError(
                f"the embedded sandbox cannot use its state file {state_file} ({error}): "
                "delete it to start again from an empty sandbox"
            ) from None
        yield handle


def _echo_notice(message: str) -> None:
    """A note while a command runs (a wait for the API), on stderr: stdout is the result."""
    click.echo(message, err=True)


def _is_plan_file(target: Path) -> bool:
    return target.is_file() and target.suffix.lower() not in (".yaml", ".yml")


def _read_saved_plan(path: Path) -> Plan:
    from reconciler.plan import read_plan_file

    return read_plan_file(path)


def _read_plan_to_apply(path: Path) -> Plan:
    saved = _read_saved_plan(path)
    if saved.mode != "apply":
        raise ConfigError(f"{path} is a drift report, not a plan: it cannot be applied")
    return saved


def _manifests_of(saved: Plan, plan_file: Path) -> Path:
    """The manifests folder a saved plan was made from (relative to where `plan` ran)."""
    path = Path(saved.manifests_path)
    if not path.exists():
        raise ConfigError(
            f"{plan_file} was made from the manifests in '{saved.manifests_path}', which is not "
            f"here ({Path.cwd()}): run `reconciler apply` from the folder `reconciler plan` "
            "ran in"
        )
    return path


def _check_same_stack(saved: Plan, plan_file: Path, stack_name: str, path: Path) -> None:
    if saved.stack != stack_name:
        raise ConfigError(
            f"{plan_file} is a plan for stack '{saved.stack}', but {path} holds stack "
            f"'{stack_name}': apply it in the checkout it was made from, or, if it was made "
            f"with --stack {saved.stack}, pass --stack {saved.stack} again. Nothing was changed."
        )


def _cannot_write(out: Path, problem: str) -> str:
    return f"cannot write the plan to {out}: {problem}; choose another --out path"


def _echo_plan(made: Plan, fmt: str) -> None:
    from reconciler.render import render_plan

    color = _use_color() and fmt == "human"
    click.echo(render_plan(made, fmt, color=color), color=color)  # type: ignore[arg-type]
    context = click.get_current_context(silent=True)
    pending = context.meta.pop(_PENDING_WARNINGS, None) if context is not None else None
    if pending is not None:
        _echo_diagnostics(pending)


def _refuse_denied(made: Plan) -> None:
    """A policy denies the plan: apply changes nothing (exit 1), naming each rule."""
    from reconciler.render import policy_text

    listed = "\n".join(f"  - {policy_text(finding)}" for finding in made.denied)
    raise ApplyRefusedError(
        f"the stack's policies deny this plan:\n{listed}\nNothing was changed: fix the "
        "manifests (or the policy) and plan again."
    )


def _exit_for(made: Plan, *, changes_exit: int) -> None:
    """1 when something is blocked or denied by a policy, `changes_exit` when there are
    changes, else 0."""
    if made.denied:
        count = len(made.denied)
        click.echo(f"error: {count} policy denial(s); apply will refuse this plan.", err=True)
        sys.exit(1)
    if made.summary.blocked:
        click.echo(f"error: {made.summary.blocked} resource(s) blocked; see above.", err=True)
        sys.exit(1)
    if made.has_changes and changes_exit:
        sys.exit(changes_exit)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _confirm(made: Plan, auto_approve: bool) -> None:
    """Show the plan; ask on a terminal; refuse (never hang) without one."""
    _echo_plan(made, "human")
    if auto_approve:
        return
    if not _stdin_is_terminal():
        raise ApplyRefusedError(
            "apply needs confirmation but there is no terminal to ask on: review the plan "
            "above and rerun with --auto-approve. Nothing was changed."
        )
    if not click.confirm("Apply these changes?", default=False):
        raise ApplyRefusedError("apply cancelled. Nothing was changed.")


def main() -> None:
    from reconciler.errors import ReconcilerError

    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort as abort:
        if isinstance(abort.__context__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code if exc.exit_code != 2 else 1)
    except ReconcilerError as exc:
        _report(exc)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)


_SECRET = re.compile(r"\b(sk-[A-Za-z0-9_-]{2})[A-Za-z0-9_*-]{6,}")


def _masked(text: str) -> str:
    """Never print a credential, whatever an error message carries."""
    return _SECRET.sub(lambda m: f"{m.group(1)}…(masked)", text)
