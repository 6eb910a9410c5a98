"""The local part of a plan (issue 8), in this process, with baselines measured in the same run.

On a stack of N objects (bench_plan.py's: half projects, half datasets, one manifest file per
kind) against an in-sync live state written as data (no sandbox, no HTTP):
  1. manifest loading: `read_stack` through the strict YAML subset reader vs ruamel alone (the
     reference it must equal; the stacks are compared), median of --repeat runs, and the ratio;
  2. the dataset checks (cached reports, as a second plan finds them), `build_plan` and
     `digest_manifests`;
  3. the imports of `reconciler plan` (`python -X importtime`: the largest top-level packages).
The whole command's local overhead (wall minus time waiting on HTTP) is bench_plan.py's.

    python bench/bench_local.py [--objects 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_plan import write_stack

from reconciler.kinds.facts import check_datasets
from reconciler.manifests import Stack, read_stack
from reconciler.planner import build_plan, digest_manifests
from reconciler.state import (
    LiveObject,
    LiveState,
    OwnedEntry,
    Ownership,
    dataset_filename,
)


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of `repeat` calls, and the last result."""
    took, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        took.append(time.perf_counter() - started)
    return statistics.median(took), result


def in_sync_state(stack: Stack, reports: dict[str, Any]) -> LiveState:
    """The live state an apply of `stack` leaves (as the plan cases write it)."""
    objects, entries = [], {}
    project_ids = {}
    for index, resource in enumerate(stack.of_kind("Project")):
        live_id = f"proj_{index:024d}"
        project_ids[resource.address] = live_id
        name = resource.spec.model_dump()["name"]
        objects.append(
            LiveObject(
                kind="Project",
                key=name,
                live_id=live_id,
                attributes={"name": name},
                owned=True,
                address=resource.address,
            )
        )
        entries[resource.address] = OwnedEntry(live_id=live_id, created=True)
    for index, resource in enumerate(stack.of_kind("Dataset")):
        sha = reports[resource.address].sha256
        project = next(r.address for r in resource.references if r.field == ("project",))
        objects.append(
            LiveObject(
                kind="Dataset",
                key=dataset_filename(stack.name, resource.name, sha, ".jsonl"),
                live_id=f"file-{index:024d}",
                owned=True,
                address=resource.address,
                status="processed",
                attributes={
                    "file": f"sha256:{sha[:16]}",
                    "purpose": "fine-tune",
                    "project": project_ids[project],
                },
            )
        )
    return LiveState(objects=tuple(objects), ownership=Ownership(entries=entries))


IMPORTS = ["openai", "pydantic", "click", "reconciler.models", "reconciler.manifests", "ruamel"]


def largest_imports(env: dict[str, str]) -> dict[str, float]:
    """Cumulative import seconds of the heavy packages `reconciler plan` imports (where
    each is first imported; ruamel only when a manifest is outside the subset)."""
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import reconciler.cli, reconciler.providers.client, reconciler.planner",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    found: dict[str, float] = {}
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s+(\S+)$", line)
        if match and match.group(2) in IMPORTS:
            found[match.group(2)] = int(match.group(1)) / 1e6
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-local-") as folder:
        specs = write_stack(Path(folder), args.objects)
        os.chdir(specs)
        slow_s, slow = timed(lambda: read_stack(specs, subset=False), args.repeat)
        fast_s, fast = timed(lambda: read_stack(specs), args.repeat)
        assert fast.stack is not None and fast.stack == slow.stack, "the stacks differ"
        stack = fast.stack
        check_datasets(stack)  # fills the dataset cache, as the first plan does
        checks_s, reports = timed(lambda: check_datasets(stack), args.repeat)
        live = in_sync_state(stack, reports)
        plan_s, plan = timed(lambda: build_plan(stack, live, reports=reports), args.repeat)
        assert not plan.has_changes, plan.summary
        digests_s, _ = timed(lambda: digest_manifests(stack, reports), args.repeat)
        imports = largest_imports(dict(os.environ))
    print(f"{args.objects:,} objects, median of {args.repeat} runs")
    print(f"  manifests, ruamel alone        {slow_s:6.3f} s")
    print(f"  manifests, YAML subset reader  {fast_s:6.3f} s   {slow_s / fast_s:4.1f}x faster")
    print(f"  dataset checks (cached)        {checks_s:6.3f} s")
    print(f"  build_plan (in sync)           {plan_s:6.3f} s")
    print(f"  digest_manifests               {digests_s:6.3f} s")
    print("  imports of `plan` (cumulative, -X importtime; not every one is on its path):")
    for name, seconds in imports.items():
        print(f"    {name:<28} {seconds:6.3f} s")


if __name__ == "__main__":
    main()
