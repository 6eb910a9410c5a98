"""Plan and apply at scale against the sandbox (issue 8), with baselines measured in the same run.

For each size (100, 1,000, 3,000 objects: half projects, half datasets of 10 small examples, the
datasets in the stack's default project), in a sandbox running in its own process:
  1. apply from empty (no latency): objects/s;
  2. with 200 ms injected on every /v1 route, a no-change plan (`python -m reconciler plan`,
     median of --repeat runs) against
     - the list-page minimum (the pages each collection read needs at the largest page size),
     - the slowest single listing, timed through the SDK in this run (all pages of it),
     - the same plan reading one listing at a time (the sequential baseline);
  3. local overhead: the plan's wall time minus the time an HTTP request was in flight
     (`plan_probe.py` times the SDK's transport), imports and YAML loading included.
Goals (issue 8): requests <= 1.2 x minimum; wall <= 2 x slowest listing; overhead < 2 s at 1,000.

    python bench/bench_plan.py [--sizes 100,1000,3000] [--repeat 3] [--latency-ms 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

HERE = Path(__file__).parent
PROBE = HERE / "plan_probe.py"
EXAMPLE = {
    "messages": [
        {"role": "user", "content": "Where is my order?"},
        {"role": "assistant", "content": "It ships tomorrow."},
    ]
}
SANDBOX_CHILD = """
import json, sys
from reconciler.sandbox import running_sandbox
with running_sandbox(sys.argv[1]) as handle:
    print(json.dumps({"base_url": handle.base_url, "admin_key": handle.admin_key,
                      "project_key": handle.project_key}), flush=True)
    sys.stdin.read()
"""


@dataclass(frozen=True)
class Sandbox:
    base_url: str
    admin_key: str
    project_key: str

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env |= {
            "OPENAI_API_KEY": self.project_key,
            "OPENAI_ADMIN_KEY": self.admin_key,
            "OPENAI_BASE_URL": self.base_url,
        }
        return env

    def set_latency(self, milliseconds: int) -> None:
        rules = [{"kind": "latency", "latency_ms": milliseconds}] if milliseconds else []
        request = urllib.request.Request(
            self.base_url.removesuffix("/v1") + "/_sandbox/faults",
            data=json.dumps({"rules": rules}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(
            api_key=self.project_key, admin_api_key=self.admin_key, base_url=self.base_url
        )


@contextmanager
def sandbox_process(state: Path) -> Iterator[Sandbox]:
    """A sandbox in its own process, so that it does not share the measured process's GIL."""
    child = subprocess.Popen(
        [sys.executable, "-c", SANDBOX_CHILD, str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield Sandbox(**json.loads(child.stdout.readline()))
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)


def write_stack(root: Path, objects: int) -> Path:
    """`objects / 2` projects and as many datasets, in one manifest file each kind."""
    specs = root / f"stack-{objects}"
    (specs / "data").mkdir(parents=True)
    (specs / "reconciler.yaml").write_text("stack: bench\ndefault_project: Project/p-0\n")
    projects, datasets = [], []
    for index in range(objects // 2):
        projects.append(
            f"apiVersion: reconciler/v1\nkind: Project\nmetadata: {{name: p-{index}}}\n"
            f"spec: {{name: Bench {index}}}\n"
        )
        datasets.append(
            f"apiVersion: reconciler/v1\nkind: Dataset\nmetadata: {{name: d-{index}}}\n"
            f"spec:\n  file: data/d-{index}.jsonl\n  purpose: fine-tune\n"
        )
        lines = [json.dumps({**EXAMPLE, "id": f"{index}-{n}"}) for n in range(10)]
        (specs / "data" / f"d-{index}.jsonl").write_text("\n".join(lines) + "\n")
    (specs / "projects.yaml").write_text("---\n".join(projects))
    (specs / "datasets.yaml").write_text("---\n".join(datasets))
    return specs


def apply(sandbox: Sandbox, specs: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", str(specs), "--auto-approve"],
        env=sandbox.env,
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"apply of {specs.name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return took


@dataclass(frozen=True)
class PlanRun:
    wall: float
    http: float
    span: float
    requests: int
    minimum: int

    @property
    def overhead(self) -> float:
        return self.wall - self.http


def plan(sandbox: Sandbox, specs: Path, *, sequential: bool = False) -> PlanRun:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = sandbox.env | ({"BENCH_READ_CONCURRENCY": "1"} if sequential else {})
        command = [sys.executable, str(PROBE), out.name, "plan", str(specs), "--format", "json"]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"plan of {specs.name} failed:\n{done.stdout[-3000:]}\n{done.stderr}")
        probe = json.loads(Path(out.name).read_text())
    made = json.loads(done.stdout)
    if made["has_changes"]:
        sys.exit(f"plan of {specs.name} is not a no-change plan: {made['summary']}")
    return PlanRun(
        wall,
        probe["http_seconds"],
        probe["span_seconds"],
        made["requests"],
        made["minimum_requests"],
    )


def slowest_listing(sandbox: Sandbox) -> tuple[str, float]:
    """Each collection a plan of the bench stack reads, listed whole through the SDK."""
    with sandbox.client() as client:
        admin = client.admin.organization.projects
        projects = list(admin.list(limit=100, include_archived=True))
        default = next(p.id for p in projects if p.name == "Bench 0")
        listings: dict[str, Any] = {
            "projects": lambda: list(admin.list(limit=100, include_archived=True)),
            "files (API key's project)": lambda: list(client.files.list(limit=10_000)),
            "files (default project)": lambda: list(
                client.with_options(project=default).files.list(limit=10_000)
            ),
        }
        timed = {}
        for name, listing in listings.items():
            started = time.perf_counter()
            listing()
            timed[name] = time.perf_counter() - started
    return max(timed.items(), key=lambda item: item[1])


def bench_size(root: Path, objects: int, repeat: int, latency_ms: int) -> dict[str, Any]:
    specs = write_stack(root, objects)
    with sandbox_process(root / f"sandbox-{objects}.sqlite3") as sandbox:
        applied = apply(sandbox, specs)
        plan(sandbox, specs)  # warms the dataset cache, as a second plan finds it
        sandbox.set_latency(latency_ms)
        listing, slowest = slowest_listing(sandbox)
        runs = [plan(sandbox, specs) for _ in range(repeat)]
        sequential = plan(sandbox, specs, sequential=True)
    run = runs[0]
    return {
        "objects": objects,
        "apply_per_s": objects / applied,
        "apply_s": applied,
        "requests": run.requests,
        "minimum": run.minimum,
        "wall": statistics.median(r.wall for r in runs),
        "overhead": statistics.median(r.overhead for r in runs),
        "http": statistics.median(r.http for r in runs),
        "reads": statistics.median(r.span for r in runs),
        "sequential_reads": sequential.span,
        "slowest": slowest,
        "slowest_name": listing,
        "sequential": sequential.wall,
    }


def report(rows: list[dict[str, Any]], latency_ms: int) -> None:
    print(f"\nno-change plan with {latency_ms} ms on every request (median wall):")
    print(
        f"{'objects':>7}  {'requests':>8}  {'minimum':>7}  {'ratio':>5}  {'slowest':>7}  "
        f"{'reads':>6}  {'ratio':>5}  {'seq.':>6}  {'wall':>6}  {'ratio':>6}  {'seq.':>6}  "
        f"{'local':>6}  {'apply':>8}"
    )
    for r in rows:
        print(
            f"{r['objects']:>7,}  {r['requests']:>8}  {r['minimum']:>7}  "
            f"{r['requests'] / r['minimum']:>4.2f}x  {r['slowest']:>6.2f}s  "
            f"{r['reads']:>5.2f}s  {r['reads'] / r['slowest']:>4.2f}x  "
            f"{r['sequential_reads']:>5.2f}s  {r['wall']:>5.2f}s  "
            f"{r['wall'] / r['slowest']:>5.2f}x  {r['sequential']:>5.2f}s  "
            f"{r['overhead']:>5.2f}s  {r['apply_per_s']:>6.1f}/s"
        )
    slowest = ", ".join(sorted({r["slowest_name"] for r in rows}))
    print(
        "\nrequests ratio = requests / list-page minimum (goal <= 1.2)\n"
        f"slowest = the slowest single listing, all its pages, timed alone ({slowest})\n"
        "reads = first request sent to last answer; wall = the whole `plan` command; each "
        "ratio is against slowest (goal: wall <= 2x)\n"
        "seq. = the same plan reading one listing at a time (the sequential baseline)\n"
        "local = wall minus time with a request in flight: start-up, imports, YAML, checks, "
        "planning (goal < 2 s at 1,000)\n"
        "apply = objects/s of an apply from empty, no injected latency"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,3000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=200)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            rows.append(bench_size(Path(folder), size, args.repeat, args.latency_ms))
            r = rows[-1]
            print(
                f"{size:,} objects: applied in {r['apply_s']:.1f}s, planned in {r['wall']:.2f}s",
                flush=True,
            )
    report(rows, args.latency_ms)


if __name__ == "__main__":
    main()
