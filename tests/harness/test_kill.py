"""(b) `kill -9` at every API call of an apply: the rerun converges with 0 duplicates.

A clean apply of the harness stack is counted first (k_max HTTP responses). Then, for each k,
on a fresh sandbox, `kill_after.py k -- apply` SIGKILLs the CLI right after its k-th response
arrived, before any reconciler code saw it (the server did the work, the answer is lost); a
normal apply is rerun until it exits 0 (at most `MAX_APPLIES` times), `plan
--detailed-exitcode` must exit 0 and no object may exist twice. The default run tries a seeded
sample of k; the `slow` variant tries every k. Failures of all k are reported together.
"""

from __future__ import annotations

import random
import re
import signal
import time
from pathlib import Path

import pytest

from reconciler.sandbox import running_sandbox

from .checks import note_duplicates
from .runner import Run, converge, finish, spawn
from .stack import build_stack

COPIES = 2  # of each kind's example: two of a kind also run side by side
SAMPLE = 8  # k values tried by the default run
SEED = 7


def count_clean_apply(tmp_path: Path) -> int:
    stack = build_stack(tmp_path / "clean", COPIES)
    with running_sandbox() as sandbox:
        run = finish(spawn(sandbox, "apply", str(stack.root), "--auto-approve", kill_after=0))
    assert run.exit_code == 0, run.output
    match = re.search(r"kill_after: (\d+) responses", run.stderr)
    assert match, run.output
    return int(match[1])


def killed_at(run: Run) -> str:
    match = re.search(r"kill_after: killed after (.+)", run.stderr)
    return match[1] if match else "?"


def run_kills(tmp_path: Path, *, sample: int | None) -> None:
    started = time.monotonic()
    k_max = count_clean_apply(tmp_path)
    ks = list(range(1, k_max + 1))
    if sample is not None and sample < k_max:
        ks = sorted(random.Random(SEED).sample(ks, sample))
    failures: list[str] = []
    duplicates = unlocks = reruns = 0
    for k in ks:
        stack = build_stack(tmp_path / f"k-{k}", COPIES)
        with running_sandbox() as sandbox:
            killed = finish(
                spawn(sandbox, "apply", str(stack.root), "--auto-approve", kill_after=k)
            )
            where = f"k={k} ({killed_at(killed)})"
            if killed.exit_code != -signal.SIGKILL:
                failures.append(f"{where}: not killed (a clean apply makes {k_max} requests)\n"
                                f"{killed.output}")  # fmt: skip
                continue
            try:
                done = converge(sandbox, stack.root)
                unlocks, reruns = unlocks + done.unlocks, reruns + len(done.applies)
            except AssertionError as error:
                failures.append(f"{where}: {error}")
            duplicates += note_duplicates(sandbox, stack.root, where, failures)
    print(
        f"\nkill -9: {len(ks)} cases of k_max={k_max} (k={ks}), {COPIES} of each kind, "
        f"reruns: {reruns}, locks broken: {unlocks}, duplicates: {duplicates}, "
        f"{time.monotonic() - started:.1f}s"
    )
    assert not failures, "\n\n".join(failures)


def test_apply_killed_at_sampled_api_calls_then_rerun_converges(tmp_path: Path) -> None:
    run_kills(tmp_path, sample=SAMPLE)


@pytest.mark.slow
def test_apply_killed_at_every_api_call_then_rerun_converges(tmp_path: Path) -> None:
    run_kills(tmp_path, sample=None)
