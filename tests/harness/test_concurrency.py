"""(c) Two applies of the same fresh stack started together: 0 duplicates, one waits or refuses.

Two `python -m reconciler apply --auto-approve` processes race on one sandbox over a stack of
20 projects and some datasets (and two of every other kind). With the default lock timeout
(refuse at once) each exits 0, or 1 saying the stack `is locked by` a holder and naming the
lock id; with `--lock-timeout 120s` both exit 0. At least one of them applies. Then one more
apply and `plan --detailed-exitcode` converge, and no object exists twice.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.models import KINDS
from reconciler.sandbox import running_sandbox

from .checks import note_duplicates
from .runner import LOCKED, Run, converge, finish, locked_by, spawn
from .stack import build_stack

COPIES = {**{kind: 2 for kind in KINDS}, "Project": 20, "Dataset": 4}
WAIT = ("--lock-timeout", "120s")


def outcome(run: Run, *, may_refuse: bool) -> str | None:
    """What is wrong with one racer's run, or None."""
    if run.exit_code == 0:
        return None
    if may_refuse and run.exit_code == 1 and LOCKED in run.stderr:
        locked_by(run)  # names the lock id, or fails
        return None
    expected = "0, or 1 saying the stack is locked" if may_refuse else "0 (it waits)"
    return f"exit {run.exit_code}, expected {expected}:\n{run.output}"


def race(tmp_path: Path, rounds: int, *flags: str) -> None:
    started = time.monotonic()
    failures: list[str] = []
    exits: list[tuple[int, int]] = []
    duplicates = 0
    for round_ in range(rounds):
        stack = build_stack(tmp_path / f"round-{round_}", COPIES)
        with running_sandbox() as sandbox:
            racers = [spawn(sandbox, "apply", str(stack.root), "--auto-approve", *flags)
                      for _ in range(2)]  # fmt: skip
            runs = [finish(racer) for racer in racers]
            exits.append((runs[0].exit_code, runs[1].exit_code))
            problems = [outcome(run, may_refuse=not flags) for run in runs]
            failures += [f"round {round_}, apply {i + 1}: {p}" for i, p in enumerate(problems) if p]
            if all(run.exit_code != 0 for run in runs):
                failures.append(f"round {round_}: neither apply ran")
            try:
                converge(sandbox, stack.root, break_locks=False)
            except AssertionError as error:
                failures.append(f"round {round_}, after both: {error}")
            duplicates += note_duplicates(sandbox, stack.root, f"round {round_}", failures)
    print(
        f"\nconcurrency {' '.join(flags) or '(refuse)'}: {rounds} round(s) of 2 applies, "
        f"{len(stack.addresses)} objects, exits {exits}, duplicates: {duplicates}, "
        f"{time.monotonic() - started:.1f}s"
    )
    assert not failures, "\n\n".join(failures)


def test_two_applies_together_one_refuses_no_duplicates(tmp_path: Path) -> None:
    race(tmp_path, 1)


def test_two_applies_together_one_waits_no_duplicates(tmp_path: Path) -> None:
    race(tmp_path, 1, *WAIT)


@pytest.mark.slow
def test_two_applies_together_many_rounds_refusing(tmp_path: Path) -> None:
    race(tmp_path, 5)


@pytest.mark.slow
def test_two_applies_together_many_rounds_waiting(tmp_path: Path) -> None:
    race(tmp_path, 5, *WAIT)
