"""QA: the Administration API's rate limit and 429 bursts, through the real CLI.

The real Administration API answers about 7 requests a minute; the sandbox imitates it with
`admin_rate_limit_per_minute`. A plan then an apply of the demo stack needs three admin
requests (list, list, create): they must fit in a limit of three without waiting a minute.
"""

from __future__ import annotations

import json
import time
import urllib.request

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, active_projects, set_faults

NAME = "TechCorp Support"


def set_admin_rate_limit(sandbox: SandboxHandle, per_minute: int | None) -> None:
    body = {"rules": [], "admin_rate_limit_per_minute": per_minute}
    request = urllib.request.Request(
        sandbox.control_url + "/faults",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def test_plan_then_apply_fit_in_three_admin_requests_a_minute(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    set_admin_rate_limit(sandbox, 3)
    assert ws.run("plan", "specs").exit_code == 0
    started = time.monotonic()
    applied = ws.run("apply", "specs", "--auto-approve")
    took = time.monotonic() - started
    set_admin_rate_limit(sandbox, None)  # before reading back through the admin API
    assert applied.exit_code == 0, applied.output
    assert "retrying" not in applied.stdout
    assert took < 20, f"apply took {took:.0f}s"
    assert len(active_projects(admin_client, NAME)) == 1


def test_plan_rides_out_a_burst_of_429s_and_says_it_waits(
    ws: Workspace, sandbox: SandboxHandle
) -> None:
    set_faults(sandbox, [{"kind": "429", "count": 3, "retry_after": 0.2}])
    planned = ws.run("plan", "specs", "--format", "json")
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.stdout)["summary"]["create"] == 3  # notices stay off stdout
    waits = [line for line in planned.stderr.splitlines() if "retrying" in line]
    assert waits == [
        f"GET /v1/files: HTTP 429 (rate limited); retrying in 0.2s ({n} of 4)" for n in (1, 2, 3)
    ]
