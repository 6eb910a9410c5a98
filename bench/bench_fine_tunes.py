"""Plan over 100 FineTunes against the sandbox (issue 9): requests made vs the list-page minimum.

In a sandbox running in its own process: a stack of one project, one training dataset and
--fine-tunes FineTunes (default 100). The first ones are applied and trained (the sandbox's
clock is moved past their end), the last --running (default 20) are applied afterwards and
moved into training (status `running`, so the plan reads each one's step of total steps).
The plan (`python -m reconciler plan --format json`, a no-change plan: waits only) reports
the requests it made and the list-page minimum (the pages each collection read needs at the
API's largest page size); the bound is the minimum plus one request per running job (for its
progress). Also timed: the plan's wall time
against one listing of the project's jobs through the SDK in the same run (the baseline).

    python bench/bench_fine_tunes.py [--fine-tunes 100] [--running 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_plan import EXAMPLE, Sandbox, sandbox_process

JOB_SECONDS = 3600 * 3  # longer than any sandbox job over 20 small examples
RUNNING_AFTER = 120  # sandbox seconds after which a new job is in `running`, mid-training


def write_stack(root: Path, count: int) -> Path:
    specs = root / "specs"
    (specs / "data").mkdir(parents=True)
    (specs / "reconciler.yaml").write_text("stack: bench\ndefault_project: Project/ft\n")
    (specs / "project.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Project\nmetadata: {name: ft}\n"
        "spec: {name: Bench fine-tunes}\n"
    )
    lines = [json.dumps({**EXAMPLE, "id": n}) for n in range(20)]
    (specs / "data" / "train.jsonl").write_text("\n".join(lines) + "\n")
    (specs / "dataset.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Dataset\nmetadata: {name: train}\n"
        "spec: {file: data/train.jsonl, purpose: fine-tune, format: chat}\n"
    )
    return specs


def declare(specs: Path, start: int, end: int) -> None:
    for index in range(start, end):
        (specs / f"ft-{index}.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: FineTune\n"
            f"metadata: {{name: ft-{index}}}\n"
            "spec:\n  model: gpt-4.1-mini-2025-04-14\n  training_file: Dataset/train\n"
            f"  method: {{type: supervised}}\n  suffix: b{index}\n  seed: {index}\n"
        )


def run(sandbox: Sandbox, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        env=sandbox.env | {"RECONCILER_TODAY": "2026-12-02"},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"reconciler {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr}")
    return done.stdout


def advance_clock(sandbox: Sandbox, seconds: float) -> None:
    request = urllib.request.Request(
        sandbox.base_url.removesuffix("/v1") + "/_sandbox/clock/advance",
        data=json.dumps({"seconds": seconds}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def list_jobs_once(sandbox: Sandbox) -> float:
    """The baseline: every job of the stack's project, listed whole through the SDK."""
    with sandbox.client() as client:
        projects = client.admin.organization.projects.list(limit=100)
        project = next(p.id for p in projects if p.name == "Bench fine-tunes")
        jobs = client.with_options(project=project).fine_tuning.jobs
        started = time.perf_counter()
        list(jobs.list(limit=100))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fine-tunes", type=int, default=100)
    parser.add_argument("--running", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    done_count = args.fine_tunes - args.running
    with tempfile.TemporaryDirectory(prefix="bench-ft-") as folder:
        specs = write_stack(Path(folder), args.fine_tunes)
        with sandbox_process(Path(folder) / "sandbox.sqlite3") as sandbox:
            declare(specs, 0, done_count)
            started = time.perf_counter()
            run(sandbox, "apply", str(specs), "--auto-approve")
            applied = time.perf_counter() - started
            advance_clock(sandbox, JOB_SECONDS)
            run(sandbox, "plan", str(specs))  # the sandbox moves jobs on as they are read
            declare(specs, done_count, args.fine_tunes)
            run(sandbox, "apply", str(specs), "--auto-approve")
            advance_clock(sandbox, RUNNING_AFTER)  # past validation and queue: training steps
            plans, walls = [], []
            for _ in range(args.repeat):
                started = time.perf_counter()
                plans.append(json.loads(run(sandbox, "plan", str(specs), "--format", "json")))
                walls.append(time.perf_counter() - started)
            baseline = min(list_jobs_once(sandbox) for _ in range(args.repeat))
    made = plans[0]
    actions = [c["action"] for c in made["changes"] if c["kind"] == "FineTune"]
    waits, noops = actions.count("wait"), actions.count("noop")
    requests, minimum = made["requests"], made["minimum_requests"]
    bound = minimum + waits
    wall = statistics.median(walls)
    verdict = "within" if requests <= bound else "OVER"
    print(
        f"{args.fine_tunes} FineTunes: {noops} succeeded (no-op), {waits} running (wait); "
        f"first {done_count} applied in {applied:.1f}s"
    )
    print(
        f"plan requests: {requests}; list-page minimum: {minimum}; ratio "
        f"{requests / minimum:.2f}x (bound: minimum + {waits} running = {bound}, "
        f"{bound / minimum:.2f}x): {verdict} the bound; beyond the minimum: "
        f"{requests - minimum} (one per running job, for its step of total steps)"
    )
    print(
        f"plan wall (median of {args.repeat}, a whole CLI process): {wall:.2f}s; one SDK "
        f"listing of the project's jobs: {baseline * 1000:.1f} ms ({wall / baseline:.0f}x: "
        "start-up, imports and the other listings included)"
    )
    if waits != args.running or requests > bound:
        sys.exit(1)


if __name__ == "__main__":
    main()
