"""Crash safety end to end: an apply killed or failing halfway, then rerun, creates nothing twice.

The first test kills a real `python -m reconciler apply` process in the worst window: the
project exists but its ownership binding is still in flight (held by a sandbox latency fault).
The rerun must recognise that project as the killed apply's own, by the lock it left behind
(the project was created after that lock was taken), and break that lock (its process is gone).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, active_projects, home_files_named, set_faults

NAME = "TechCorp Support"


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def assert_converged(ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI) -> None:
    projects = active_projects(admin_client, NAME)
    assert len(projects) == 1
    for name in ("support-train", "support-valid"):
        assert len(home_files_named(client, name)) == 1
    again = ws.run("plan", "specs", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_apply_killed_between_create_and_binding_creates_nothing_twice(
    ws: Workspace, sandbox: SandboxHandle, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    set_faults(sandbox, [{"kind": "latency", "route": "/v1/files", "method": "POST",
                          "latency_ms": 4000}])  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "specs", "--auto-approve"],
        cwd=ws.root,
        env={**os.environ, **ws.env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: bool(active_projects(admin_client, NAME)))
    finally:
        process.kill()  # the binding upload is still held by the latency fault
        process.wait()
    set_faults(sandbox, [])
    names = [f.filename for f in client.files.list()]
    assert not [n for n in names if "--owner--" in n]  # killed before the binding was written
    assert len([n for n in names if "--lock--" in n]) == 1  # ... and the lock marks the window
    planned = ws.run("plan", "specs")
    assert "record live project 'TechCorp Support'" in planned.stdout
    assert "created by an interrupted apply" in planned.stdout
    assert "an apply of stack 'demo' started at" in planned.stdout  # ... and has not finished
    rerun = ws.run("apply", "specs", "--auto-approve")
    assert rerun.exit_code == 0, rerun.output
    assert_converged(ws, client, admin_client)


def test_apply_failing_halfway_then_rerun_converges(
    ws: Workspace, sandbox: SandboxHandle, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    set_faults(sandbox, [{"kind": "503", "route": "/v1/organization/projects", "method": "POST",
                          "retry_after": 0.01}])  # fmt: skip
    failed = ws.run("apply", "specs", "--auto-approve")
    assert failed.exit_code == 1
    assert "Project/support: create failed" in failed.stdout
    assert "Apply failed: 2 succeeded, 1 failed, 0 skipped" in failed.stdout  # data: key project
    set_faults(sandbox, [])
    rerun = ws.run("apply", "specs", "--auto-approve")
    assert rerun.exit_code == 0, rerun.output
    assert_converged(ws, client, admin_client)


def test_rerunning_a_finished_apply_changes_nothing(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    second = ws.run("apply", "specs", "--auto-approve")
    assert second.exit_code == 0
    assert "No changes." in second.stdout
    assert_converged(ws, client, admin_client)
