"""`python -m reconciler.gitops plan|drift|find-plan|apply`: what the composite action runs.

Each command runs the `reconciler` CLI (the same interpreter, `python -m reconciler`), then
posts to GitHub: the plan comment of a pull request, the drift issue, the apply result. It
reads the Actions environment: `GITHUB_API_URL`, `GITHUB_REPOSITORY`, `GITHUB_TOKEN`,
`GITHUB_EVENT_PATH` (the pull request's number), `GITHUB_SHA`, `GITHUB_SERVER_URL`,
`GITHUB_RUN_ID`; it writes step outputs to `GITHUB_OUTPUT` and the rendered text to
`GITHUB_STEP_SUMMARY`. Like `cli.py`, this module writes to the terminal (the job's log).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconciler.gitops import bodies
from reconciler.gitops.github import DEFAULT_API_URL, GitHub, GitHubError

PLAN_FILENAME = "plan.json"
STALE = "the saved plan is stale"
DENIED = "the stack's policies deny this plan"


@dataclass(frozen=True)
class Ran:
    """One finished `reconciler ...` command."""

    code: int
    stdout: str
    stderr: str


def run_reconciler(args: Sequence[str]) -> Ran:
    """`python -m reconciler ARGS` with this interpreter and environment (no terminal)."""
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class Context:
    """What a command needs from the Actions environment."""

    github: GitHub | None
    pr: int | None
    run: bodies.RunInfo
    output_file: Path | None
    summary_file: Path | None

    @classmethod
    def from_env(cls, env: Mapping[str, str], pr: int | None) -> Context:
        repository = env.get("GITHUB_REPOSITORY", "")
        api_url = env.get("GITHUB_API_URL", "") or DEFAULT_API_URL
        github = GitHub(repository, env.get("GITHUB_TOKEN", ""), api_url) if repository else None
        server, run_id = env.get("GITHUB_SERVER_URL", ""), env.get("GITHUB_RUN_ID", "")
        run_url = f"{server}/{repository}/actions/runs/{run_id}" if server and run_id else ""
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return cls(
            github=github,
            pr=pr if pr is not None else _pr_of_event(env.get("GITHUB_EVENT_PATH", "")),
            run=bodies.RunInfo(sha=env.get("GITHUB_SHA", ""), run_url=run_url, when=now),
            output_file=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
            summary_file=(
                Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None
            ),
        )

    def need_github(self) -> GitHub:
        if self.github is None:
            raise GitHubError("GITHUB_REPOSITORY is not set: run this inside GitHub Actions")
        return self.github

    def output(self, **values: str) -> None:
        if self.output_file is None:
            return
        with self.output_file.open("a", encoding="utf-8") as out:
            for key, value in values.items():
                out.write(f"{key}={_one_line(value)}\n")

    def summary(self, text: str) -> None:
        if self.summary_file is None:
            return
        with self.summary_file.open("a", encoding="utf-8") as out:
            out.write(text.rstrip() + "\n\n")


def _pr_of_event(event_path: str) -> int | None:
    """The pull request's number in the event payload (pull_request events), else None."""
    if not event_path:
        return None
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    number = (event.get("pull_request") or {}).get("number")
    return int(number) if isinstance(number, int) else None


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def _say(text: str) -> None:
    sys.stdout.write(text.rstrip("\n") + "\n")
    sys.stdout.flush()


def stack_key(path: str, stack: str) -> str:
    """The stack's name (from --stack or reconciler.yaml), which keys comments, issues and
    artifacts; the path when reconciler.yaml cannot be read (the manifests are broken)."""
    if stack:
        return stack
    try:
        from reconciler.errors import Diagnostics
        from reconciler.manifests.config_file import read_config
        from reconciler.manifests.discovery import stack_root

        reading = read_config(stack_root(Path(path)), None, Diagnostics())
        if reading is not None:
            return str(reading.config.stack)
    except Exception:  # an unreadable config is reported by `validate`, not here
        pass
    return path.strip("/") or "."


def artifact_name(key: str) -> str:
    return "reconciler-plan-" + re.sub(r"[^A-Za-z0-9._-]+", "_", key)


def _stack_args(path: str, stack: str) -> list[str]:
    return [path, *(["--stack", stack] if stack else [])]


# -- plan --------------------------------------------------------------------------------------


def cmd_plan(args: argparse.Namespace, ctx: Context) -> int:
    """validate (annotations), then plan; one comment per stack on the PR, updated in place."""
    key = stack_key(args.path, args.stack)
    stack_args = _stack_args(args.path, args.stack)
    checked = run_reconciler(["validate", *stack_args, "--format", "github"])
    _say(checked.stdout)  # the ::error/::warning lines: GitHub shows them in the PR's diff
    if checked.code != 0:
        human = run_reconciler(["validate", *_stack_args(args.path, args.stack)])
        text = human.stderr.strip() or checked.stderr.strip() or checked.stdout.strip()
        body = bodies.invalid_comment(key, text, ctx.run)
        _post_plan(ctx, key, body)
        ctx.output(result="invalid", **{"has-changes": "false", "plan-file": ""})
        _say(f"error: the manifests in {args.path} are invalid; nothing was planned.")
        return 1
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    planned = run_reconciler(
        [
            "plan",
            *_stack_args(args.path, args.stack),
            "--format",
            "markdown",
            "--detailed-exitcode",
            "--out",
            str(out),
        ]
    )
    _say(planned.stdout)
    _say(planned.stderr)
    if planned.code not in (0, 2):
        error = _errors_of(planned.stderr) or "reconciler plan failed"
        body = bodies.failed_comment(key, planned.stdout, error, ctx.run, title="Reconciler plan")
        _post_plan(ctx, key, body)
        result = "denied" if "policy denial" in error else "error"
        ctx.output(result=result, **{"has-changes": "false", "plan-file": ""})
        return 1
    name = artifact_name(key)
    _post_plan(ctx, key, bodies.plan_comment(key, planned.stdout, ctx.run, artifact=name))
    ctx.output(
        result="changes" if planned.code == 2 else "no-changes",
        **{"has-changes": str(planned.code == 2).lower(), "plan-file": str(out)},
        **{"artifact-name": name},
    )
    return 0


def _errors_of(stderr: str) -> str:
    """The `error:` lines of a command's stderr (its warnings come first and are in the
    plan already), or all of it when it has none."""
    lines = stderr.strip().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("error:")), 0)
    return "\n".join(lines[start:]).strip()


def _post_plan(ctx: Context, key: str, body: str) -> None:
    ctx.summary(body)
    if ctx.pr is None:
        _say("note: not a pull request: the plan is in the job summary, not in a comment.")
        return
    done, comment_id = ctx.need_github().upsert_comment(ctx.pr, bodies.plan_marker(key), body)
    _say(f"{done} the plan comment {comment_id} on pull request #{ctx.pr}.")


# -- drift -------------------------------------------------------------------------------------


def cmd_drift(args: argparse.Namespace, ctx: Context) -> int:
    """One issue per stack: opened on drift, updated while it lasts, closed when clean."""
    key = stack_key(args.path, args.stack)
    # a full read of the Administration API: renews the incremental-refresh snapshot and catches
    # what the audit log does not record (a no-op for stacks without `refresh: incremental`)
    drift_args = ["drift", *_stack_args(args.path, args.stack), "--format", "markdown"]
    found = run_reconciler([*drift_args, "--refresh", "full"])
    _say(found.stdout)
    _say(found.stderr)
    if found.code not in (0, 2):
        ctx.output(drift="error")
        _say("error: `reconciler drift` failed (above); the drift issue was left as it is.")
        return 1
    github = ctx.need_github()
    marker = bodies.drift_marker(key)
    issue = github.find_open_issue(marker)
    if found.code == 0:
        ctx.output(drift="false")
        ctx.summary(found.stdout)
        if issue is not None:
            github.add_comment(int(issue["number"]), bodies.drift_closed_comment(ctx.run))
            github.update_issue(int(issue["number"]), state="closed", state_reason="completed")
            _say(f"closed drift issue #{issue['number']}: no drift any more.")
        return 0
    since = (bodies.drift_since(issue.get("body") or "") if issue else None) or ctx.run.when
    body = bodies.drift_issue(key, found.stdout, ctx.run, since=since)
    ctx.summary(body)
    ctx.output(drift="true")
    if issue is None:
        labels = [label.strip() for label in args.labels.split(",") if label.strip()]
        made = github.create_issue(bodies.drift_title(key), body, labels)
        _say(f"opened drift issue #{made['number']}.")
        ctx.output(issue=str(made["number"]))
    else:
        github.update_issue(int(issue["number"]), body=body, title=bodies.drift_title(key))
        _say(f"updated drift issue #{issue['number']}.")
        ctx.output(issue=str(issue["number"]))
    return 2 if args.fail_on_drift else 0


# -- apply on merge ----------------------------------------------------------------------------


def cmd_find_plan(args: argparse.Namespace, ctx: Context) -> int:
    """The run and artifact of the plan reviewed on the pull request this commit merged."""
    key = stack_key(args.path, args.stack)
    name = artifact_name(key)
    github = ctx.need_github()
    sha = args.sha or ctx.run.sha
    pulls = [p for p in github.pulls_of_commit(sha) if p.get("merged_at")]
    merged = next((p for p in pulls if p.get("merge_commit_sha") == sha), None) or (
        pulls[0] if pulls else None
    )
    if merged is None:
        reason = f"commit {sha[:12]} was not merged from a pull request: no plan was reviewed"
        ctx.output(**{"artifact-name": name, "run-id": "", "pr-number": "", "reason": reason})
        _say(f"note: {reason}.")
        return 0
    number, head = int(merged["number"]), str(merged["head"]["sha"])
    for run in github.pull_request_runs(head):
        if github.run_artifacts(int(run["id"]), name):
            ctx.output(
                **{"artifact-name": name, "run-id": str(run["id"]), "pr-number": str(number)},
                reason="",
            )
            _say(
                f"the plan reviewed on #{number} ({head[:12]}) is artifact {name} of run "
                f"{run['id']}."
            )
            return 0
    reason = (
        f"no artifact {name} on the runs of pull request #{number}'s last commit {head[:12]}: "
        "its plan did not finish, or the artifact expired"
    )
    ctx.output(**{"artifact-name": name, "run-id": "", "pr-number": str(number), "reason": reason})
    _say(f"note: {reason}.")
    return 0


def cmd_apply(args: argparse.Namespace, ctx: Context) -> int:
    """Apply the reviewed plan if it is still current; otherwise stop and say what changed."""
    key = stack_key(args.path, args.stack)
    plan_file = Path(args.plan_dir) / PLAN_FILENAME if args.plan_dir else None
    flags = ["--auto-approve", "--lock-timeout", args.lock_timeout]
    flags += ["--stack", args.stack] if args.stack else []
    flags += ["--allow-delete"] if args.allow_delete else []
    flags += ["--allow-archive"] if args.allow_archive else []
    if plan_file is not None and plan_file.is_file():
        target, reviewed = str(plan_file), True
    elif args.allow_unreviewed:
        target, reviewed = args.path, False
        _say(
            f"note: {args.reason or 'no reviewed plan'}; applying the manifests as they are "
            "(allow-unreviewed)."
        )
    else:
        reason = args.reason or f"no reviewed plan in {args.plan_dir or '(none given)'}"
        text = (
            f"error: {reason}. Nothing was applied: the apply on merge only applies a plan "
            "that was reviewed on a pull request. Open a pull request to review the plan, or "
            "run this workflow by hand with allow-unreviewed."
        )
        _say(text)
        ctx.summary(text)
        return 1
    applied = run_reconciler(["apply", target, *flags])
    _say(applied.stdout)
    _say(applied.stderr)
    output = (applied.stdout + "\n" + applied.stderr).strip()
    extra = ""
    stale_first = ""
    if reviewed and STALE in applied.stderr and args.allow_unreviewed:
        # a manual run: whoever started it asked for the manifests as they are
        _say(
            "note: the reviewed plan is stale; applying the manifests as they are "
            "(allow-unreviewed)."
        )
        stale_first, reviewed = output, False
        applied = run_reconciler(["apply", args.path, *flags])
        _say(applied.stdout)
        _say(applied.stderr)
        output = (stale_first + "\n\n" + applied.stdout + "\n" + applied.stderr).strip()
    if applied.code == 0:
        if reviewed:
            headline = "Applied the plan reviewed on this pull request."
        elif stale_first:
            headline = (
                "The reviewed plan was stale (below); applied the manifests as they are "
                "(allow-unreviewed: a manual run)."
            )
        else:
            headline = "Applied the manifests as they are (no reviewed plan: allow-unreviewed)."
        result = "applied"
    elif STALE in applied.stderr:
        headline = (
            "Not applied: the reviewed plan is stale (what changed since the review is listed "
            "below). Nothing was changed."
        )
        result = "stale"
        now = run_reconciler(["plan", *_stack_args(args.path, args.stack), "--format", "markdown"])
        if now.code == 0:
            extra = bodies.details("What an apply would do now (not reviewed)", now.stdout)
    elif DENIED in applied.stderr:
        headline = (
            "Not applied: the stack's policies deny this plan (each rule and resource below). "
            "Nothing was changed."
        )
        result = "denied"
    else:
        headline = "The apply failed (see the output)."
        result = "failed"
    ctx.output(result=result)
    pr = ctx.pr if ctx.pr is not None else (int(args.pr) if args.pr else None)
    body = bodies.apply_comment(key, headline, output, ctx.run, extra=extra)
    ctx.summary(body)
    if pr is not None and ctx.github is not None:
        done, comment_id = ctx.github.upsert_comment(pr, bodies.apply_marker(key), body)
        _say(f"{done} the apply comment {comment_id} on pull request #{pr}.")
    return applied.code if applied.code != 0 else 0


# -- entry point -------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m reconciler.gitops", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    def command(name: str, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("--path", default=".", help="the folder holding reconciler.yaml")
        sub.add_argument("--stack", default="", help="the stack name (overrides the config)")
        return sub

    plan = command("plan", "validate (annotations) and plan; comment on the pull request")
    plan.add_argument("--out", default=".reconciler-gitops/" + PLAN_FILENAME)
    plan.add_argument("--pr", type=int, default=None, help="default: from GITHUB_EVENT_PATH")
    drift = command("drift", "drift report as one issue per stack")
    drift.add_argument("--labels", default="", help="comma-separated labels of a new issue")
    drift.add_argument("--fail-on-drift", action="store_true", help="exit 2 when drifting")
    find = command("find-plan", "the artifact of the plan reviewed on the merged PR")
    find.add_argument("--sha", default="", help="the merge commit (default: GITHUB_SHA)")
    apply = command("apply", "apply the reviewed plan if still current")
    apply.add_argument("--plan-dir", default="", help=f"where the artifact's {PLAN_FILENAME} is")
    apply.add_argument("--pr", default="", help="the merged pull request (for the comment)")
    apply.add_argument("--reason", default="", help="why there is no reviewed plan")
    apply.add_argument("--lock-timeout", default="10m")
    apply.add_argument("--allow-delete", action="store_true")
    apply.add_argument("--allow-archive", action="store_true")
    apply.add_argument("--allow-unreviewed", action="store_true")
    return top


COMMANDS = {"plan": cmd_plan, "drift": cmd_drift, "find-plan": cmd_find_plan, "apply": cmd_apply}


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> None:
    args = parser().parse_args(argv)
    ctx = Context.from_env(os.environ if env is None else env, getattr(args, "pr", None) or None)
    try:
        code = COMMANDS[args.command](args, ctx)
    except GitHubError as error:
        _say(f"::error title=reconciler::{error}")
        code = 1
    sys.exit(code)
