"""How the harness runs the real CLI against a sandbox, and what it injects on the way.

`run_cli` runs `reconciler ...` in this process (click's runner); `spawn` starts
`python -m reconciler ...` (or `kill_after.py K -- ...`) as a real process. `converge` reruns
`apply --auto-approve` a bounded number of times until it exits 0, then requires
`plan --detailed-exitcode` to exit 0. `CountingFaults` is the sandbox's own seeded fault
injector, counting what it injects; lost write responses come from `kill_after.py` (the
sandbox's `drop` fault drops *before* the route runs, so it never loses a performed write).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox import SandboxHandle
from reconciler.sandbox.faults import FaultRule, Faults

KILL_AFTER = Path(__file__).parent / "kill_after.py"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_APPLIES = 5
LOCKED = "is locked by"


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """Exit code, stderr, and of stdout what apply did (the plan before it is left out)."""
        shown = self.stdout
        if "\nApplying:" in shown:
            shown = "[plan left out]\nApplying:" + shown.split("\nApplying:", 1)[1]
        return (
            f"exit {self.exit_code}\n--- stdout\n{shown.strip()}\n--- stderr\n{self.stderr.strip()}"
        )


def cli_env(sandbox: SandboxHandle) -> dict[str, str | None]:
    return {
        "OPENAI_API_KEY": sandbox.project_key,
        "OPENAI_ADMIN_KEY": sandbox.admin_key,
        "OPENAI_BASE_URL": sandbox.base_url,
        "OPENAI_PROJECT_ID": None,
        "OPENAI_ORG_ID": None,
        "NO_COLOR": "1",
    }


def run_cli(sandbox: SandboxHandle, *args: str) -> Run:
    """`reconciler ARGS` in this process; an unexpected exception fails the test."""
    result = CliRunner().invoke(cli, list(args), env=cli_env(sandbox), catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def spawn(
    sandbox: SandboxHandle,
    *args: str,
    kill_after: int | None = None,
    lose_writes: float = 0.0,
    seed: int = 0,
) -> subprocess.Popen[str]:
    """`python -m reconciler ARGS` as a real process; under `kill_after.py` when it is to be
    killed (`kill_after` > 0), counted (0), or to lose write responses (`lose_writes`)."""
    env = {**os.environ, **cli_env(sandbox)}
    command = [sys.executable, "-m", "reconciler", *args]
    if kill_after is not None or lose_writes:
        command = [sys.executable, str(KILL_AFTER), str(kill_after or 0), "--", *args]
        env |= {"HARNESS_LOSE_WRITES": str(lose_writes), "HARNESS_SEED": str(seed)}
    clean = {k: v for k, v in env.items() if v is not None}
    return subprocess.Popen(
        command, env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str], timeout: float = 300) -> Run:
    stdout, stderr = process.communicate(timeout=timeout)
    return Run(process.returncode, stdout, stderr)


@dataclass
class Convergence:
    """The applies it took (the last one exited 0), the locks it had to break, and the write
    responses lost on the way."""

    applies: list[Run] = field(default_factory=list)
    unlocks: int = 0
    lost: int = 0


def converge(
    sandbox: SandboxHandle,
    root: Path,
    *,
    max_applies: int = MAX_APPLIES,
    break_locks: bool = True,
    lose_writes: float = 0.0,
    seed: int = 0,
    done: Convergence | None = None,
) -> Convergence:
    """Rerun apply until it exits 0, then require an empty plan. With `break_locks`, a lock
    left by a killed apply is broken as a user would: `force-unlock` with the id the refusal
    names (without it, nobody died, so a lock still held is a failure). With `lose_writes`,
    each apply is a process losing that share of its write responses (`kill_after.py`).
    `done` (filled as it goes) keeps the figures of a run that fails."""
    done = Convergence() if done is None else done
    while len(done.applies) < max_applies:
        run = _apply(sandbox, root, lose_writes, seed * 100 + len(done.applies))
        done.applies.append(run)
        done.lost += lost_responses(run)
        if run.exit_code == 0:
            break
        lock_id = locked_by(run)
        if lock_id is not None and break_locks:
            unlocked = run_cli(sandbox, "force-unlock", lock_id, str(root))
            assert unlocked.exit_code == 0, unlocked.output
            done.unlocks += 1
    history = "\n".join(run.output for run in done.applies)
    assert done.applies[-1].exit_code == 0, f"no exit 0 in {max_applies} applies:\n{history}"
    plan = run_cli(sandbox, "plan", str(root), "--detailed-exitcode")
    assert plan.exit_code == 0, f"not converged after the applies:\n{history}\n{plan.output}"
    return done


def _apply(sandbox: SandboxHandle, root: Path, lose_writes: float, seed: int) -> Run:
    args = ("apply", str(root), "--auto-approve")
    if not lose_writes:
        return run_cli(sandbox, *args)
    return finish(spawn(sandbox, *args, lose_writes=lose_writes, seed=seed))


def lost_responses(run: Run) -> int:
    match = re.search(r"kill_after: \d+ responses, (\d+) lost", run.stderr)
    return int(match[1]) if match else 0


def locked_by(run: Run) -> str | None:
    """The lock id a refusal names (`... is locked by ...`), else None."""
    if run.exit_code != 1 or LOCKED not in run.stderr:
        return None
    for pattern in (r"force-unlock\s+(\S+)", r"lock id[:= ]+['\"]?([\w.-]+)", r"\bID:\s*(\S+)"):
        match = re.search(pattern, run.stderr, flags=re.IGNORECASE)
        if match:
            return match[1].strip("`'\"().,")
    raise AssertionError(f"a lock refusal must name the lock id:\n{run.output}")


# -- faults --------------------------------------------------------------------------------


@dataclass
class CountingFaults(Faults):
    """The sandbox's seeded fault injector, counting the faults it injects by kind."""

    injected: Counter[str] = field(default_factory=Counter)

    def pick(self, method: str, path: str) -> FaultRule | None:
        rule = super().pick(method, path)
        if rule is not None:
            self.injected[rule.kind] += 1
        return rule


def every_route(rate: float, kinds: tuple[str, ...], retry_after: float) -> list[dict[str, Any]]:
    """Rules on every /v1 route that inject `rate` in all, split evenly between `kinds`
    (the injector tries rules in order, so each next rule's rate is scaled up)."""
    share = rate / len(kinds)
    return [
        {"kind": kind, "rate": share / (1 - i * share), "retry_after": retry_after}
        for i, kind in enumerate(kinds)  # route: the default, every /v1 path
    ]
