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

from .e2e import Workspace, active_projects

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
