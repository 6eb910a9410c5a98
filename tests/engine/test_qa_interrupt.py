"""QA: Ctrl-C during apply stops it promptly and says how to finish; the rerun converges.

A real `python -m reconciler apply` process is interrupted (SIGINT) while it waits to retry a
project create the sandbox refuses with `429, Retry-After: 30`. It must stop within a few
seconds, send nothing more, exit 130 with what to do, and the next apply must finish the job.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, active_projects, set_faults

NAME = "TechCorp Support"

# SIGINT may be ignored in a process started in the background (as CI runners may do, and as
# the child would inherit): restore Python's handler before running the CLI's own entry point.
_ENTRY = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('reconciler', run_name='__main__')"
)


Lines = queue.Queue[str]


@contextmanager
def cli_process(ws: Workspace, *args: str) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    """The CLI in a child process, its merged output line by line on a queue."""
    process = subprocess.Popen(
        [sys.executable, "-c", _ENTRY, *args],
        cwd=ws.root,
        env={**os.environ, **ws.env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: Lines = queue.Queue()
    assert process.stdout is not None

    def read_lines() -> None:
        for line in process.stdout or ():
            lines.put(line)

    reader = threading.Thread(target=read_lines)
    reader.start()
    try:
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        reader.join()
        if process.stdout is not None:
            process.stdout.close()


def read_until(lines: Lines, fragment: str, timeout: float = 30.0) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while fragment not in seen:
        seen += lines.get(timeout=max(0.0, deadline - time.monotonic()))
    return seen


def drain(lines: Lines) -> str:
    out = ""
    while not lines.empty():
        out += lines.get_nowait()
    return out


def test_ctrl_c_while_waiting_to_retry_stops_at_once_and_the_rerun_converges(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    route = {"route": "/v1/organization/projects", "method": "POST"}
    set_faults(sandbox, [{"kind": "429", "retry_after": 30, **route}])
    with cli_process(ws, "apply", "specs", "--auto-approve") as (process, lines):
        read_until(lines, "retrying in 30.0s")
        interrupted_at = time.monotonic()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=20)
        stopped_after = time.monotonic() - interrupted_at
    output = drain(lines)
    assert stopped_after < 5, f"took {stopped_after:.1f}s to stop"
    assert code == 130, output
    assert "attempt 2 failed" not in output  # no request after the interrupt
    assert "Interrupted" in output and "Run `reconciler apply` again to finish" in output
    assert "Traceback" not in output
    set_faults(sandbox, [])
    rerun = ws.run("apply", "specs", "--auto-approve")
    assert rerun.exit_code == 0, rerun.output
    assert len(active_projects(admin_client, NAME)) == 1
    assert ws.run("plan", "specs", "--detailed-exitcode").exit_code == 0
