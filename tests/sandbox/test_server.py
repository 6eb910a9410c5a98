"""The sandbox as a server: the `serve` CLI, state across restarts, start-up time, control routes
and injected faults seen through the official SDK's own retry logic."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openapi_check import ResponseChecker

from reconciler.sandbox import SandboxHandle, running_sandbox
from reconciler.sandbox.faults import admin_endpoint

REPO_ROOT = Path(__file__).resolve().parents[2]

KEPT = b'{"custom_id": "a", "method": "POST", "url": "/v1/responses", "body": {}}\n'  # downloadable


def set_faults(sandbox: SandboxHandle, **body: Any) -> None:
    httpx2.post(f"{sandbox.control_url}/faults", json=body).raise_for_status()


# -- serve, restart, start-up ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(state: Path, port: int) -> Iterator[list[str]]:
    """`reconciler sandbox serve` in a subprocess; yields the lines it printed at start."""
    command = [sys.executable, "-m", "reconciler", "sandbox", "serve"]
    command += ["--port", str(port), "--state", str(state)]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        wait_until_up(f"http://127.0.0.1:{port}/_sandbox/clock", process)
        yield lines
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)


def wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            httpx2.get(url).raise_for_status()
            return
        except httpx2.TransportError:
            time.sleep(0.02)
    raise AssertionError(f"{url} did not answer")


def test_serve_prints_what_to_use_and_keeps_state_across_restarts(tmp_path: Path) -> None:
    state, port = tmp_path / "sandbox.sqlite3", free_port()
    with serve(state, port) as printed:
        text = "".join(printed)
        env = dict(line.removeprefix("  export ").strip().split("=", 1) for line in printed[1:4])
        assert f"http://127.0.0.1:{port}/v1" in text
        assert env["OPENAI_API_KEY"].startswith("sk-proj-")
        assert env["OPENAI_ADMIN_KEY"].startswith("sk-admin-")
        with openai.OpenAI(api_key=env["OPENAI_API_KEY"], base_url=env["OPENAI_BASE_URL"]) as sdk:
            created = sdk.files.create(file=("keep.jsonl", KEPT), purpose="batch")
    assert state.exists()
    with (
        serve(state, port),
        openai.OpenAI(api_key=env["OPENAI_API_KEY"], base_url=env["OPENAI_BASE_URL"]) as sdk,
    ):
        assert sdk.files.retrieve(created.id).filename == "keep.jsonl"
        assert sdk.files.content(created.id).content == KEPT


def test_serve_on_a_port_in_use_fails_before_printing_keys(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        command = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", str(port)]
        command += ["--state", str(tmp_path / "state.sqlite3")]
        done = subprocess.run(
            command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=30, check=False
        )
    assert done.returncode == 1
    assert done.stdout == ""  # no base URL, no keys
    assert "sk-" not in done.stderr
    assert "Traceback" not in done.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "--port" in done.stderr
    assert not (tmp_path / "state.sqlite3").exists()


def test_state_and_clock_survive_a_restart_in_process(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    with running_sandbox(state) as first:
        with openai.OpenAI(api_key=first.project_key, base_url=first.base_url) as sdk:
            created = sdk.files.create(file=("a.txt", b"a"), purpose="user_data")
        httpx2.post(
            f"{first.control_url}/clock/advance", json={"seconds": 86400}
        ).raise_for_status()
        advanced = httpx2.get(f"{first.control_url}/clock").json()["now"]
    with running_sandbox(state) as second:
        with openai.OpenAI(api_key=second.project_key, base_url=second.base_url) as sdk:
            assert sdk.files.retrieve(created.id) == created
        assert httpx2.get(f"{second.control_url}/clock").json()["now"] >= advanced


def test_starts_well_under_a_second() -> None:
    started = time.perf_counter()
    with running_sandbox() as handle:
        elapsed = time.perf_counter() - started
        assert httpx2.get(f"{handle.control_url}/clock").status_code == 200
    assert elapsed < 0.5


# -- faults through the SDK's retries ----------------------------------------------------------


@pytest.fixture
def timed_client(
    sandbox: SandboxHandle, response_checker: ResponseChecker
) -> Iterator[tuple[openai.OpenAI, list[tuple[str, float, int]]]]:
    """A conforming SDK client with retries on, recording (event, time, status) of each exchange."""
    events: list[tuple[str, float, int]] = []

    def on_request(request: httpx2.Request) -> None:
        events.append(("request", time.monotonic(), 0))

    def on_response(response: httpx2.Response) -> None:
        events.append(("response", time.monotonic(), response.status_code))

    http = openai.DefaultHttpxClient(
        event_hooks={"request": [on_request], "response": [response_checker, on_response]}
    )
    with openai.OpenAI(
        api_key=sandbox.project_key,
        base_url=sandbox.base_url,
        max_retries=6,
        http_client=http,
        _strict_response_validation=True,
    ) as client:
        yield client, events


def test_sdk_retries_honour_retry_after_on_ten_percent_429s(
    sandbox: SandboxHandle, timed_client: tuple[openai.OpenAI, list[tuple[str, float, int]]]
) -> None:
    client, events = timed_client
    set_faults(sandbox, rules=[{"kind": "429", "rate": 0.1, "retry_after": 0.2}])
    created = client.files.create(file=("a.txt", b"a"), purpose="user_data")
    for _ in range(40):
        assert client.files.retrieve(created.id).id == created.id
    statuses = [status for kind, _, status in events if kind == "response"]
    assert 2 <= statuses.count(429) <= 10 and statuses.count(200) == 41
    waits = [
        events[i + 1][1] - events[i][1]
        for i in range(len(events) - 1)
        if events[i][2] == 429 and events[i + 1][0] == "request"
    ]
    # Retry-After-ms 200 honoured: not the SDK's own backoff (≥ 0.375 s on a first retry).
    assert waits and all(0.19 <= wait < 0.37 for wait in waits)


def test_retry_after_headers_on_injected_429(
    conforming_http: httpx2.Client, sandbox: SandboxHandle
) -> None:
    set_faults(sandbox, rules=[{"kind": "429", "count": 1, "retry_after": 2}])
    response = conforming_http.get("models")
    assert response.status_code == 429
    assert (response.headers["retry-after"], response.headers["retry-after-ms"]) == ("2", "2000")
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert conforming_http.get("models").status_code == 200


def test_dropped_connection_is_retried_by_the_sdk(
    sandbox: SandboxHandle, timed_client: tuple[openai.OpenAI, list[tuple[str, float, int]]]
) -> None:
    client, events = timed_client
    set_faults(sandbox, rules=[{"kind": "drop", "count": 1, "route": "/v1/models"}])
    with (
        openai.OpenAI(
            api_key=sandbox.project_key, base_url=sandbox.base_url, max_retries=0
        ) as bare,
        pytest.raises(openai.APIConnectionError),
    ):
        bare.models.list()
    set_faults(sandbox, rules=[{"kind": "drop", "count": 1, "route": "/v1/models"}])
    assert len(client.models.list().data) >= 1
    assert [kind for kind, _, _ in events].count("request") == 2


@pytest.mark.parametrize("status", ["500", "503"])
def test_server_errors_are_retried(
    sandbox: SandboxHandle,
    timed_client: tuple[openai.OpenAI, list[tuple[str, float, int]]],
    status: str,
) -> None:
    client, events = timed_client
    set_faults(sandbox, rules=[{"kind": status, "count": 1, "retry_after": 0.05}])
    assert client.models.retrieve("gpt-5.6-sol").id == "gpt-5.6-sol"
    assert [s for kind, _, s in events if kind == "response"] == [int(status), 200]


def test_latency_fault_slows_matching_routes_only(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    set_faults(sandbox, rules=[{"kind": "latency", "latency_ms": 300, "route": "/v1/files*"}])
    started = time.monotonic()
    conforming_client.models.list()
    fast = time.monotonic() - started
    started = time.monotonic()
    conforming_client.files.list()
    slow = time.monotonic() - started
    assert fast < 0.2 <= 0.3 <= slow


def test_admin_rate_limit_answers_429_with_retry_after(
    conforming_admin_http: httpx2.Client, sandbox: SandboxHandle
) -> None:
    set_faults(sandbox, rules=[], admin_rate_limit_per_minute=7)
    answers = [conforming_admin_http.get("organization/projects") for _ in range(8)]
    assert [r.status_code == 429 for r in answers] == [False] * 7 + [True]
    limited = answers[-1]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "admin API" in limited.json()["error"]["message"]
    assert conforming_admin_http.get("../_sandbox/clock").status_code == 200  # control: unlimited


def test_the_admin_rate_limit_counts_each_endpoint_apart(
    conforming_admin_http: httpx2.Client, sandbox: SandboxHandle
) -> None:
    """A limit per endpoint, as users report the real one (about 7 a minute each): another
    endpoint has its own; the same endpoint in another project shares it."""
    set_faults(sandbox, rules=[], admin_rate_limit_per_minute=2)
    assert [conforming_admin_http.get("organization/projects").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert conforming_admin_http.get("organization/users").status_code == 200
    project = sandbox.app.state.sandbox.default_project_id
    users = f"organization/projects/{project}/users"
    assert conforming_admin_http.get(users).status_code == 200
    assert (
        conforming_admin_http.get(f"organization/projects/{project}/service_accounts").status_code
        == 200
    )
    assert conforming_admin_http.get(users).status_code == 200
    assert conforming_admin_http.get("organization/projects/proj_Other123/users").status_code == 429


def test_admin_endpoints_are_path_templates() -> None:
    assert admin_endpoint("GET", "/v1/organization/projects/proj_aB3/users/user-x9") == (
        "GET /v1/organization/projects/{id}/users/{id}"
    )
    assert admin_endpoint("POST", "/v1/organization/projects/proj_aB3/rate_limits/rl-gpt-4.1") == (
        "POST /v1/organization/projects/{id}/rate_limits/{id}"
    )
    assert admin_endpoint("GET", "/v1/organization/projects") == "GET /v1/organization/projects"


def test_faults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_FAULTS", '[{"kind": "503", "count": 1, "route": "/v1/models"}]')
    with running_sandbox() as handle:
        first = httpx2.get(
            f"{handle.base_url}/models", headers={"Authorization": f"Bearer {handle.project_key}"}
        )
    assert first.status_code == 503
    assert os.environ["SANDBOX_FAULTS"]
