"""(a) 10 % faults on every /v1 route plus lost write responses: apply converges, 0 duplicates.

For each seed: a fresh sandbox injects 429 (with Retry-After), 500, 503 and dropped connections
on 10 % of all requests; each `apply --auto-approve` is a process (`kill_after.py 0`) in which
10 % of the writes the server performed lose their response. Apply is rerun (at most
`MAX_APPLIES` times) until it exits 0; then `plan --detailed-exitcode` (faults still on) must
exit 0 and no object may exist twice. Nobody is killed here, so no lock is broken: a lock left
behind fails the seed. Every seed runs; the failures of all of them are reported together.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from reconciler.sandbox import running_sandbox

from .checks import note_duplicates
from .runner import Convergence, CountingFaults, converge, every_route
from .stack import build_stack

RATE = 0.10
KINDS = ("429", "500", "503", "drop")
RETRY_AFTER = 0.2  # seconds the 429 and 503 answers ask for
COPIES = 4  # of each kind's example


def run_seeds(tmp_path: Path, seeds: range) -> None:
    injected: Counter[str] = Counter()
    failures: list[str] = []
    applies = duplicates = 0
    started = time.monotonic()
    for seed in seeds:
        stack = build_stack(tmp_path / f"seed-{seed}", COPIES)
        faults = CountingFaults(seed=seed)
        with running_sandbox(faults=faults) as sandbox:
            faults.set_rules(every_route(RATE, KINDS, RETRY_AFTER))
            done = Convergence()
            try:
                converge(
                    sandbox, stack.root, break_locks=False, lose_writes=RATE, seed=seed, done=done
                )
            except AssertionError as error:
                failures.append(f"seed {seed}: {error}")
            applies += len(done.applies)
            injected.update(faults.injected)
            injected["lost write response"] += done.lost
            faults.set_rules([])
            duplicates += note_duplicates(sandbox, stack.root, f"seed {seed}", failures)
    print(
        f"\nfaults: {len(seeds)} cases (seeds {seeds.start}..{seeds.stop - 1}, "
        f"{COPIES} of each kind), {applies} applies, faults injected: {sum(injected.values())} "
        f"{dict(sorted(injected.items()))}, duplicates: {duplicates}, "
        f"{time.monotonic() - started:.1f}s"
    )
    assert not failures, "\n\n".join(failures)
    assert injected["lost write response"] > 0 and all(injected[kind] for kind in KINDS), injected


def test_faults_and_lost_responses_converge_without_duplicates(tmp_path: Path) -> None:
    run_seeds(tmp_path, range(0, 3))


@pytest.mark.slow
def test_faults_and_lost_responses_converge_without_duplicates_many_seeds(tmp_path: Path) -> None:
    run_seeds(tmp_path, range(3, 33))
