"""QA: an apply that fails part-way says what to do next, and the rerun finishes the job."""

from __future__ import annotations

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, active_projects, set_faults

NAME = "TechCorp Support"


def test_a_failed_apply_says_to_rerun_and_the_rerun_converges(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    route = {"route": "/v1/organization/projects", "method": "POST"}
    set_faults(sandbox, [{"kind": "429", "count": 5, "retry_after": 0.05, **route}])
    failed = ws.run("apply", "specs", "--auto-approve")
    assert failed.exit_code == 1, failed.output
    assert "Apply failed: 2 succeeded, 1 failed, 0 skipped." in failed.stdout  # data: key project
    assert "run `reconciler apply` again: what succeeded is not repeated" in failed.stdout
    assert active_projects(admin_client, NAME) == []
    rerun = ws.run("apply", "specs", "--auto-approve")
    assert rerun.exit_code == 0, rerun.output
    assert len(active_projects(admin_client, NAME)) == 1
