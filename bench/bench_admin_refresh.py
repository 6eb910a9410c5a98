"""Incremental refresh of the Administration API reads vs a full read (issue 12), same run.

A stack of N projects (default 50), each with a member, a service account, a rate limit, a
spend limit and model permissions, applied to a sandbox in this process. Then, against the
full read of the same stack in the same sandbox (`plan --refresh=full`, the baseline):
  1. a plan after nothing changed (incremental: the snapshot and the audit log);
  2. a plan after one project's setting changed outside Git (re-reads that project's settings);
  3. a plan after one member's role changed outside Git (re-reads every project's members:
     the audit log does not say which project).
Each line prints the requests (all of them, and the Administration API's), the wall time of
the plan command, and both as ratios of the full read; every plan must find what changed.
Time is meaningful with the sandbox's admin rate limit on (`--admin-rate-limit 7` is what users
report of the real API: a full read of 50 projects then takes about 40 minutes) or with
`--latency-ms` on every request; by default 20 ms of latency is added.

    python bench/bench_admin_refresh.py [--projects 50] [--latency-ms 20] [--admin-rate-limit N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import openai
from admin_stack import EMAIL, write_admin_stack
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox import SandboxHandle, running_sandbox


def _control(sandbox: SandboxHandle, route: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        sandbox.control_url + route,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _run(env: dict[str, str], *args: str) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    elapsed = time.perf_counter() - start
    if result.exit_code not in (0, 2):
        sys.exit(f"reconciler {' '.join(args)} failed:\n{result.output}")
    made: dict[str, Any] = json.loads(result.stdout) if "--format" in args else {}
    return made, elapsed


WINDOW_WAIT = 0.0  # seconds to let the sandbox's admin rate-limit window empty before a plan


def _plan(env: dict[str, str], specs: Path, *extra: str) -> tuple[dict[str, Any], float]:
    time.sleep(WINDOW_WAIT)  # each timed plan starts with the whole minute's budget
    return _run(env, "plan", str(specs), "--format", "json", *extra)


def _actions(plan: dict[str, Any]) -> dict[str, str]:
    return {c["address"]: c["action"] for c in plan["changes"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--admin-rate-limit", type=int, default=None, metavar="PER_MINUTE")
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
        specs = write_admin_stack(
            Path(tmp) / "bench",
            options.projects,
            "stack: bench\nrefresh: {mode: incremental, max_age: 24h}\n",
        )
        print(f"applying {options.projects} projects with their settings, members and accounts…")
        _run(env, "apply", str(specs), "--auto-approve")
        _plan(env, specs)  # the apply's own changes: re-read once, snapshot updated
        faults: dict[str, Any] = {"rules": []}
        if options.latency_ms:
            faults["rules"] = [{"kind": "latency", "latency_ms": options.latency_ms}]
        if options.admin_rate_limit:
            faults["admin_rate_limit_per_minute"] = options.admin_rate_limit
            global WINDOW_WAIT
            WINDOW_WAIT = 61.0
        _control(sandbox, "/faults", faults)

        full, full_time = _plan(env, specs, "--refresh=full")
        rows = [("full read (--refresh=full), the baseline", full, full_time)]
        quiet, quiet_time = _plan(env, specs)
        rows.append(("incremental, nothing changed", quiet, quiet_time))

        time.sleep(WINDOW_WAIT)
        projects = {p.name: p.id for p in admin.admin.organization.projects.list(limit=100)}
        target = projects["Bench 7"]
        admin.admin.organization.projects.model_permissions.update(
            target, mode="deny_list", model_ids=[]
        )
        setting, setting_time = _plan(env, specs)
        assert _actions(setting)["Project/p7"] == "update", "the change was not found"
        rows.append(("incremental, one project setting changed", setting, setting_time))

        time.sleep(WINDOW_WAIT)  # the reads below count against the same limit
        users = admin.admin.organization.projects.users.list(projects["Bench 3"])
        alice = next(u for u in users if u.email == EMAIL)
        admin.admin.organization.projects.users.update(
            alice.id, project_id=projects["Bench 3"], role="owner"
        )
        member, member_time = _plan(env, specs)
        assert _actions(member)["ProjectMember/alice-p3"] == "update", "not found"
        rows.append(("incremental, one member's role changed", member, member_time))

    limit = (
        f"admin limit {options.admin_rate_limit}/min"
        if options.admin_rate_limit
        else "no admin limit"
    )
    print(
        f"\n{options.projects} projects, {options.latency_ms} ms per request, {limit}; "
        "requests = every request of the plan (data-plane listings too)\n"
    )
    full_admin = _admin_requests(full)
    print(
        f"{'plan':44} {'requests':>8} {'× full':>7} {'admin':>6} {'× full':>7} "
        f"{'time':>8} {'× full':>7} {'at 7/min':>9}"
    )
    for label, made, elapsed in rows:
        admin_requests = _admin_requests(made)
        print(
            f"{label:44} {made['requests']:>8} {made['requests'] / full['requests']:>7.2f} "
            f"{admin_requests:>6} {admin_requests / full_admin:>7.3f} "
            f"{elapsed:>7.2f}s {elapsed / full_time:>7.2f} {admin_requests / 7:>8.1f}m"
        )
        print(f"    {made.get('refresh')}")
    print(
        "\nadmin = Administration API requests (listings read from the API, plus the audit-log "
        "page), from the plan's refresh line; 'at 7/min' is that count at the limit users "
        "report (computed, not measured; run with --admin-rate-limit 7 to measure it)."
    )


def _admin_requests(plan: dict[str, Any]) -> int:
    """Administration API requests of a plan: the listings it read from the API and the one
    audit-log request (the snapshot's download and upload are Files API requests)."""
    line = str(plan.get("refresh") or "")
    full = re.search(r"snapshot of (\d+) listing", line)
    if full is not None:
        return int(full[1]) + 1
    reread = re.search(r"(\d+) re-read", line)
    return (int(reread[1]) if reread else 0) + 1


if __name__ == "__main__":
    main()
