"""The Administration API budget (issue 12): what the limiter predicts vs what a plan takes.

A stack of N projects (default 50), each with a member, a service account, a rate limit, a
spend limit and model permissions, applied to a sandbox in this process. Then a full-read plan
(`plan --refresh=full`), twice in the same run:
  1. the baseline: no `admin_requests_per_minute`, no sandbox admin limit;
  2. with `admin_requests_per_minute: R` in reconciler.yaml and the sandbox's own limit of R
     requests a minute per endpoint (what the real API does, at a much lower R).
R is chosen so that the read needs one window wait (R about 0.55 × the admin requests the plan
makes; `--per-minute` overrides it), so the run stays under about two minutes.

Printed: the admin requests the plan made (counted at the limiter), the count the plan
announced before reading (`admin_reads.admin_reads_needed`) as a ratio of them, the time the
limiter says the read takes (`AdminBudget.seconds_for`) vs the measured extra time of the
limited plan over the baseline, as a ratio, the 429s the sandbox answered (should be 0: our
limiter keeps under it), and what the same read means at 7 requests a minute (computed: once
with our one limiter for every endpoint, once with the API's per-endpoint limit as the lower
bound).

    python bench/bench_admin_budget.py [--projects 50] [--per-minute R]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import openai
from admin_stack import EMAIL, write_admin_stack
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.providers import admin_budget
from reconciler.providers.admin_budget import AdminBudget
from reconciler.sandbox import SandboxHandle, running_sandbox
from reconciler.sandbox.faults import admin_endpoint

USER_REPORTED_PER_MINUTE = 7


class Tally:
    """Admin requests of the running plan, by endpoint, and the 429s on them (counted where
    the limiter sees them: every admin request of the run goes through it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.endpoints: Counter[str] = Counter()
        self.refused = 0

    def reset(self) -> None:
        with self.lock:
            self.endpoints.clear()
            self.refused = 0

    @property
    def requests(self) -> int:
        return sum(self.endpoints.values())


TALLY = Tally()
_before, _after = AdminBudget.before, AdminBudget.after


def _counting_before(self: AdminBudget, request: Any) -> None:
    if admin_budget.is_admin_path(request.url.path):
        with TALLY.lock:
            TALLY.endpoints[admin_endpoint(request.method, request.url.path)] += 1
    _before(self, request)


def _counting_after(self: AdminBudget, response: Any, request: Any = None) -> None:
    sent = response.request if request is None else request
    if response.status_code == 429 and admin_budget.is_admin_path(sent.url.path):
        with TALLY.lock:
            TALLY.refused += 1
    _after(self, response, request)


AdminBudget.before = _counting_before  # type: ignore[method-assign]
AdminBudget.after = _counting_after  # type: ignore[method-assign]


def _control(sandbox: SandboxHandle, route: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        sandbox.control_url + route,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _run(env: dict[str, str], *args: str) -> tuple[str, str, float]:
    start = time.perf_counter()
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    elapsed = time.perf_counter() - start
    if result.exit_code not in (0, 2):
        sys.exit(f"reconciler {' '.join(args)} failed:\n{result.output}")
    return result.stdout, result.stderr, elapsed


def _plan(env: dict[str, str], specs: Path) -> tuple[dict[str, Any], str, float]:
    TALLY.reset()
    stdout, stderr, elapsed = _run(env, "plan", str(specs), "--refresh=full", "--format", "json")
    made: dict[str, Any] = json.loads(stdout)
    if made["summary"]["create"] or made["summary"]["update"] or made["summary"]["delete"]:
        sys.exit(f"the plan after apply is not quiet: {made['summary']}")
    return made, stderr, elapsed


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--per-minute", type=int, default=None, metavar="R")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_sandbox() as sandbox:
        env = {
            "OPENAI_API_KEY": sandbox.project_key,
            "OPENAI_ADMIN_KEY": sandbox.admin_key,
            "OPENAI_BASE_URL": sandbox.base_url,
        }
        admin = openai.OpenAI(
            api_key=sandbox.project_key, admin_api_key=sandbox.admin_key, base_url=sandbox.base_url
        )
        admin.admin.organization.invites.create(email=EMAIL, role="reader", projects=[])
        _control(sandbox, "/clock/advance", {"seconds": 61})
        specs = write_admin_stack(Path(tmp) / "bench", options.projects)
        print(f"applying {options.projects} projects with their settings, members and accounts…")
        _, _, apply_time = _run(env, "apply", str(specs), "--auto-approve")
        print(f"  applied in {apply_time:.1f} s")

        baseline, _, baseline_time = _plan(env, specs)
        made = TALLY.requests
        by_endpoint = Counter(TALLY.endpoints)
        per_minute = options.per_minute or math.ceil(made * 0.55)
        config = specs / "reconciler.yaml"
        config.write_text(f"stack: bench\nadmin_requests_per_minute: {per_minute}\n", "utf-8")
        _control(sandbox, "/faults", {"rules": [], "admin_rate_limit_per_minute": per_minute})
        print(f"  baseline plan in {baseline_time:.1f} s; now limited to {per_minute}/min…")
        limited, notice, limited_time = _plan(env, specs)
        limited_made, refused = TALLY.requests, TALLY.refused

    announced = re.search(r"needs about (\d+) Administration API requests", notice)
    predicted = AdminBudget(per_minute).seconds_for(limited_made)
    measured = limited_time - baseline_time
    at_7 = AdminBudget(USER_REPORTED_PER_MINUTE).seconds_for(made)
    per_endpoint_7 = max(
        AdminBudget(USER_REPORTED_PER_MINUTE).seconds_for(count) for count in by_endpoint.values()
    )
    busiest, busiest_count = by_endpoint.most_common(1)[0]
    print(
        f"\n{options.projects} projects (member, service account, rate limit, spend limit, "
        f"model permissions each), plan --refresh=full\n"
    )
    rows = [
        ("requests, all (baseline plan)", f"{baseline['requests']}", ""),
        ("admin requests made (baseline / limited)", f"{made} / {limited_made}", ""),
    ]
    if announced:
        count = int(announced[1])
        rows.append(
            (
                "admin requests announced before reading",
                f"{count}",
                f"{count / limited_made:.2f} × made",
            )
        )
    else:
        rows.append(("admin requests announced before reading", "(no notice)", ""))
    rows += [
        ("plan time, no limit (baseline)", f"{baseline_time:.1f} s", ""),
        (f"plan time at {per_minute}/min", f"{limited_time:.1f} s", ""),
        ("limiter's prediction (seconds_for)", f"{predicted:.0f} s", ""),
        (
            "measured extra time over the baseline",
            f"{measured:.1f} s",
            f"{measured / predicted:.2f} × predicted" if predicted else "",
        ),
        (f"429s from the sandbox ({per_minute}/min per endpoint)", f"{refused}", ""),
        (f"at {USER_REPORTED_PER_MINUTE}/min, one limiter (computed)", _minutes(at_7), ""),
        (
            f"at {USER_REPORTED_PER_MINUTE}/min per endpoint, lower bound (computed)",
            _minutes(per_endpoint_7),
            f"busiest: {busiest} × {busiest_count}",
        ),
    ]
    for label, value, ratio in rows:
        print(f"  {label:52} {value:>12}  {ratio}")
    print(f"\n  endpoints read: {len(by_endpoint)}; limited plan found no change")
    if limited["summary"] != baseline["summary"]:
        sys.exit("the limited plan differs from the baseline")


if __name__ == "__main__":
    main()
